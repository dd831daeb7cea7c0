"""Tripartite tasks: probation, sickness absence, return to work and appraisal, shared by worker,
line manager and peer supervisor."""
