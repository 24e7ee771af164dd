"""trm-bench command line, runner, evaluation, result store, statistics and reports."""
