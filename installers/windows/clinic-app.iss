; Inno Setup script of the clinic workstation for Windows (x64), around the PyInstaller onedir
; that installers/clinic-app.spec builds. Run on Windows from the repository's root:
;
;   py -3.11 -m venv .venv && .venv\Scripts\pip install -e ".[dev]"
;   .venv\Scripts\pyinstaller --noconfirm --distpath build\installer\dist --workpath build\installer\work installers\clinic-app.spec
;   for /f %v in ('.venv\Scripts\python -c "import clinic_app; print(clinic_app.__version__)"') do "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" /DAppVersion=%v installers\windows\clinic-app.iss
;
; Output: dist\installer\clinic-workstation-VERSION-setup.exe (per-machine install under
; Program Files, Start menu entry, optional desktop icon, uninstaller). Profiles live in the
; user's AppData (platformdirs) and are never touched by an upgrade or an uninstall.

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=X.Y.Z (from clinic_app/__init__.py)
#endif

[Setup]
AppId={{6F1C2A4E-2B7D-4C51-9E0A-3C1A2B4D5E6F}
AppName=Clinic Workstation
AppVersion={#AppVersion}
AppVerName=Clinic Workstation {#AppVersion}
AppPublisher=Clinic Workstation team
DefaultDirName={autopf}\Clinic Workstation
DefaultGroupName=Clinic Workstation
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequired=admin
OutputDir=..\..\dist\installer
OutputBaseFilename=clinic-workstation-{#AppVersion}-setup
SetupIconFile=..\clinic-app.ico
UninstallDisplayIcon={app}\clinic-app.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; An upgrade replaces the program files only; close a running workstation first.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "zh_CN"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[InstallDelete]
; Files of an older version that the new one no longer ships.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "..\..\build\installer\dist\clinic-app\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Clinic Workstation"; Filename: "{app}\clinic-app.exe"
Name: "{autodesktop}\Clinic Workstation"; Filename: "{app}\clinic-app.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\clinic-app.exe"; Description: "{cm:LaunchProgram,Clinic Workstation}"; Flags: nowait postinstall skipifsilent
