"""Ways to show a Plan: text for terminals (JSON and Markdown to come)."""
