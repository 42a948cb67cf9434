"""The workstation's Qt user interface: one module per screen, a main window that assembles
them, and the GUI start (QApplication + qasync loop). Only this package imports Qt widgets."""
