"""tests/skips.py: an unexpected skip fails the run; a listed absence stays a skip."""
pytest_plugins = ["pytester"]


def test_only_listed_skips_pass(pytester):
    pytester.makepyfile(
        """
        import pytest

        def test_skipped_for_no_reason():
            pytest.skip("op not registered: conv9d")

        @pytest.mark.skipif(True, reason="no GPU and no simulator")
        def test_needs_a_gpu():
            pass

        @pytest.mark.xfail(reason="known")
        def test_expected_failure():
            assert False

        def test_runs():
            assert True
        """)
    result = pytester.runpytest("-p", "tests.skips")
    result.assert_outcomes(passed=1, failed=1, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(["*unexpected skip: Skipped: op not registered: conv9d*"])
    assert result.ret != 0


def test_a_skipped_module_fails(pytester):
    pytester.makepyfile(test_gone="""
        import pytest
        pytest.skip("nothing to test here", allow_module_level=True)

        def test_never():
            pass
        """)
    result = pytester.runpytest("-p", "tests.skips")
    result.stdout.fnmatch_lines(["*unexpected skip*nothing to test here*"])
    assert result.ret != 0
