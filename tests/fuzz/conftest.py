from tests.fuzz.stats import STATS


def pytest_terminal_summary(terminalreporter):
    if STATS.calls:
        for line in STATS.lines():
            terminalreporter.write_line(line)
        STATS.write()
