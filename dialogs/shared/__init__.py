"""Building blocks every feature shares: content loading, card templating and cards, signed
links, card prompts, the turn context and the feature registry."""
