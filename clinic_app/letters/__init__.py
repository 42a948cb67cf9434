"""Letters a clinic prints: prescription (处方笺), referral (转诊单), consult opinion (会诊意见)
and a visit summary for the patient, as PDF built headless with reportlab (no Qt):
:mod:`.content` reads what a letter says from the records, :mod:`.layout` lays it out on A4 or
A5 with an embedded Chinese font (:mod:`.fonts`), :mod:`.texts` holds its printed words."""
