"""Anonymous feedback: models, responses, reports, themes, scrubbing and "you said, we did"."""
