"""Supervision records: who may record for whom, confirming, views and attendance (no SDK here)."""
