"""Codes and units for the symptom catalogue and what it records, for coded exports (FHIR R4),
each with its source. The one place a LOINC, SNOMED CT, UCUM or HL7 terminology value is named.

A SNOMED CT code is given only where it was found in published HL7 material (or, marked so, a
terminology mapping); a catalogue entry with no verified concept stays text-only in exports
rather than carry a guessed code.
"""

from dataclasses import dataclass

# Code systems (canonical URLs from the FHIR R4 terminology pages, https://hl7.org/fhir/R4/).
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
BCP47 = "urn:ietf:bcp:47"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
FLAG_PRIORITY = "http://hl7.org/fhir/flag-priority-code"  # codes of the flag-priority extension
COMMUNICATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/communication-category"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
ISSUE_TYPE = "http://hl7.org/fhir/issue-type"

# Profiles and core extensions (FHIR R4 core, https://hl7.org/fhir/R4/observation-vitalsigns.html,
# https://hl7.org/fhir/R4/extensibility-registry.html).
VITAL_SIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
PQ_TRANSLATION = "http://hl7.org/fhir/StructureDefinition/iso21090-PQ-translation"
FLAG_PRIORITY_EXTENSION = "http://hl7.org/fhir/StructureDefinition/flag-priority"
FLAG_DETAIL_EXTENSION = "http://hl7.org/fhir/StructureDefinition/flag-detail"
BULK_EXPORT_GROUP = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"
BULK_CAPABILITY = "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"

# This service's own code systems and identifier namespaces, under its public base URL.
LOCAL = {
    "patient_id": "/fhir/sid/patient-id",
    "case_code": "/fhir/sid/case-code",
    "staff_id": "/fhir/sid/staff-id",
    "symptom": "/fhir/CodeSystem/symptom",
    "symptom_detail": "/fhir/CodeSystem/symptom-detail",
    "pro_ctcae": "/fhir/CodeSystem/pro-ctcae-attribute",
    "urgency": "/fhir/CodeSystem/urgency",
    "rule": "/fhir/CodeSystem/clinical-rule",
    "acknowledgement": "/fhir/StructureDefinition/alert-acknowledgement",
    "alert_status": "/fhir/StructureDefinition/alert-status",
    "alert_rule": "/fhir/StructureDefinition/alert-rule",
    "reminder_rule": "/fhir/CodeSystem/reminder-rule",
}


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str
    source: str


@dataclass(frozen=True)
class Measurement:
    """A vital sign: its LOINC code, FHIR profile, and UCUM units by the unit the app sends."""

    code: Code
    profile: str
    normalised_unit: str  # the catalogue's normalised unit (C or kg)
    units: dict  # app unit -> (UCUM code, human unit)


_VS = "FHIR R4 vital signs profile, https://hl7.org/fhir/R4/observation-vitalsigns.html"
MEASUREMENTS = {
    "temperature": Measurement(
        Code(LOINC, "8310-5", "Body temperature", _VS),
        "http://hl7.org/fhir/StructureDefinition/bodytemp",
        "C",
        {"C": ("Cel", "°C"), "F": ("[degF]", "°F")},  # the profile's Body Temperature Units
    ),
    "weight": Measurement(
        Code(LOINC, "29463-7", "Body weight", _VS),
        "http://hl7.org/fhir/StructureDefinition/bodyweight",
        "kg",
        {"kg": ("kg", "kg"), "lb": ("[lb_av]", "lb")},  # the profile's Body Weight Units
    ),
}

VITAL_SIGNS = Code(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs", _VS)
SURVEY = Code(
    OBSERVATION_CATEGORY,
    "survey",
    "Survey",
    "https://terminology.hl7.org/CodeSystem-observation-category.html (patient-reported)",
)

_COVID = "HL7 COVID-19 Signs and Symptoms value set (hl7.org/fhir/us/covid19library)"
_CH_EMS = "HL7 Switzerland CH EMS symptom value set (fhir.ch/ig/ch-ems)"
_SKIN = "HL7 Skin Wound Assessment IG wound type value set; SNOMED on FHIR IG examples"
_OMAHA = "Omaha System to SNOMED CT mapping (terminology mapping, not HL7)"
# Catalogue code -> SNOMED CT concept. Not coded (text only): abdominal_swelling (no concept
# verified for "swelling of the belly"), pregnancy (the item covers the partner's pregnancy too,
# which "Pregnant" would misstate), infection ("signs of infection" is no single finding),
# new_medicine (not a finding), dizziness and weight_gain (codes seen only in unreviewed sources).
SNOMED_SYMPTOMS = {
    "abdominal_pain": Code(SNOMED, "21522001", "Abdominal pain (finding)", _COVID),
    "bleeding": Code(SNOMED, "131148009", "Bleeding (finding)", _COVID),
    "chills": Code(SNOMED, "43724002", "Chill (finding)", _COVID),
    "breathing": Code(SNOMED, "267036007", "Dyspnea (finding)", _COVID),
    "fever": Code(SNOMED, "386661006", "Fever (finding)", _CH_EMS),
    "yellow_skin": Code(SNOMED, "18165001", "Jaundice (finding)", _OMAHA),
    "fainting": Code(SNOMED, "271594007", "Syncope (disorder)", _OMAHA),
    "rash": Code(SNOMED, "271807003", "Eruption of skin (disorder)", _SKIN),
}

# PRO-CTCAE attributes (clinical-rules §4.2, REF-12): stored as the item's 0-4 (presence 0-1)
# scores; no LOINC or SNOMED code names the attribute itself, so they are local codes.
PRO_CTCAE_ATTRIBUTES = {
    "presence": "Presence (PRO-CTCAE: 0 no, 1 yes)",
    "frequency": "Frequency (PRO-CTCAE: 0 never ... 4 almost constantly)",
    "severity": "Severity (PRO-CTCAE: 0 none ... 4 very severe)",
    "interference": "Interference with usual activities (PRO-CTCAE: 0 not at all ... 4 very much)",
}

# Alert urgency -> flag-priority code (PN no alarm, PL low, PM medium, PH high; FHIR R4 extension
# flag-priority). Urgent and emergency are both paged at once; emergency alone is "high".
FLAG_PRIORITIES = {
    "emergency": ("PH", "High priority"),
    "urgent": ("PM", "Medium priority"),
    "routine": ("PL", "Low priority"),
}
# Alert urgency -> Communication.priority (R4 request-priority: routine | urgent | asap | stat).
COMMUNICATION_PRIORITIES = {"emergency": "stat", "urgent": "urgent", "routine": "routine"}
