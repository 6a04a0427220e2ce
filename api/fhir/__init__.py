"""The FHIR R4 API (/fhir/R4): read and search for staff, Bulk Data export. Routes are thin;
the mapping, search and export are the Flask-free fhir_r4 package."""
