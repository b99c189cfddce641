import atexit
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# algo="auto" caches its choices on disk: the test session (and every subprocess it starts)
# uses a throwaway directory, never the user's ~/.cache/convbench.
_CACHE = tempfile.mkdtemp(prefix="convbench-test-cache-")
os.environ["CONVBENCH_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
