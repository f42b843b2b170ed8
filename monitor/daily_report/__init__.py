"""`tianyan daily-report`: the duty room's daily summary (零报告), sent even when nothing happened.

`summary` builds the day's report from what the store holds (pure),
`render` writes it as text, markdown or JSON, `channels` sends it (webhook,
WeCom, DingTalk, email) and `command` is the CLI entry. `settings` is the
config section, imported by `monitor.config`, so this package's import stays
light. See docs/daily-report.md.
"""
