"""R-VOD-WIN, once: the days the VOD rules watch and the daily weight prompt runs."""

from datetime import date, timedelta


def vod_spans(first_dose: date | None, last_dose: date | None, hsct_date: date | None, p):
    """(first day, last day) pairs, inclusive: first dose -> last dose + 56 d (a), and HSCT
    day 0 -> day +100 (b, PROPOSED); the day counts come from the clinic's parameters `p`."""
    spans = []
    if first_dose is not None:
        spans.append((first_dose, last_dose + timedelta(days=p.vod_days_after_last_dose)))
    if hsct_date is not None:
        spans.append((hsct_date, hsct_date + timedelta(days=p.vod_days_after_hsct)))
    return spans


def in_vod_window(first_dose, last_dose, hsct_date, day: date, p) -> bool:
    return any(start <= day <= end for start, end in vod_spans(first_dose, last_dose, hsct_date, p))
