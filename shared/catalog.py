"""Fixed reference lists the whole product shares: acuity levels, the service catalog, payer
types. The frontend reads them from GET /api/reference."""
from __future__ import annotations

from typing import Literal

ACUITY_LEVELS: dict[str, str] = {
    "low": "Low: stable, mostly supervision and therapy",
    "moderate": "Moderate: daily skilled nursing",
    "high": "High: complex care several times a day",
    "complex": "Complex: intensive monitoring and treatments",
}
Acuity = Literal["low", "moderate", "high", "complex"]

SERVICES: dict[str, str] = {
    "iv_therapy": "IV therapy",
    "wound_vac": "Wound vac (negative pressure wound therapy)",
    "dialysis": "Dialysis",
    "tracheostomy": "Tracheostomy care",
    "ventilator": "Ventilator",
    "bariatric": "Bariatric care",
    "isolation": "Isolation",
    "tube_feeding": "Tube feeding",
    "behavioral": "Behavioral support",
    "intensive_therapy": "Intensive therapy",
    "oxygen": "Oxygen therapy",
    "tpn": "Total parenteral nutrition",
    "wound_care_complex": "Complex wound care",
    "memory_care": "Secured memory care",
}
Service = Literal[tuple(SERVICES)]  # type: ignore[valid-type]

PAYER_TYPES: dict[str, str] = {
    "medicare_a": "Medicare Part A",
    "medicare_advantage": "Medicare Advantage",
    "medicaid": "Medicaid",
    "managed_medicaid": "Managed Medicaid",
    "commercial": "Commercial",
    "private_pay": "Private pay",
    "va": "VA",
    "hospice": "Hospice",
    "other": "Other",
}
PayerType = Literal[tuple(PAYER_TYPES)]  # type: ignore[valid-type]

# Why a referral was declined, and why an accepted one was not admitted.
DECLINE_REASONS: dict[str, str] = {
    "clinical_capability": "Clinical needs the facility cannot meet",
    "financial": "The stay does not pay for itself",
    "no_bed": "No suitable bed",
    "payer": "Payer not accepted or not authorized",
    "staffing": "Staffing",
    "patient_choice": "The patient or family chose elsewhere",
    "hospital_withdrew": "The hospital withdrew the referral",
    "other": "Other",
}
NOT_ADMITTED_REASONS: dict[str, str] = {
    "patient_choice": "The patient or family chose elsewhere",
    "hospital_withdrew": "The hospital withdrew the referral",
    "clinical_change": "The patient's condition changed",
    "other": "Other",
}
