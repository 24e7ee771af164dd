"""trm-bench agents: the registry of the Agent protocol and every built-in agent."""
