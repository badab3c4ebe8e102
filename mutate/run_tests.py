"""The test command of one mutant: pytest on the given files, stopping at the first failure.

mutmut counts only exit status 1 as killed, so a mutant that breaks the module's import
(pytest's status 2) would pass for a survivor: every failure is reported as 1 here."""
import os
import sys

import pytest
from hypothesis import Phase, settings

if __name__ == "__main__":
    # Only the hypothesis plugin: the others installed (schemathesis above all) cost seconds of
    # start-up per mutant, and no covering test uses them.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    # Any failing example kills the mutant: shrinking it to the smallest one costs seconds.
    settings.register_profile("mutate", phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("mutate")
    status = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-p", "hypothesispytest",
                          *sys.argv[1:]])
    # The verdict is known: end now. A mutant that leaves a thread which is not a daemon (the
    # db watchdog's) would keep the interpreter from ending, and mutmut wait out its timeout,
    # ten times the whole suite's time, to count it killed anyway.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0 if status == 0 else 1)
