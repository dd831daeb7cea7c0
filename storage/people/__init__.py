"""People in the organisation and who supports whom: the foundation of supervision and tripartite work."""
