"""Studies: compare activations by training each with several seeds, and judge honestly.

    >>> from actlab.studies import builtin_study, run_study, load_study_results
    >>> spec = builtin_study("quick").with_overrides(seeds=[0, 1], epochs=1)
    >>> run = run_study(spec, "actlab-runs/quick")                    # doctest: +SKIP
    >>> results = load_study_results("actlab-runs/quick")             # doctest: +SKIP

A study spec (TOML, see `actlab.studies.spec`) expands into trials (activation × seed ×
grid point); an Executor runs them; a ResultsStore (SQLite) keeps every result so that
a study resumes where it stopped; `statistics` compares the activations over seeds.
"""

from actlab.studies.builtin_studies import DEFAULT_STUDY, builtin_study, builtin_study_names
from actlab.studies.errors import StudySpecError, StudyStoreError
from actlab.studies.executor import (
    Executor,
    LocalProcessExecutor,
    SerialExecutor,
    TrialOutcome,
    TrialTask,
)
from actlab.studies.expansion import Trial, expand, trial_id
from actlab.studies.results import StudyResults, load_study_results
from actlab.studies.runner import StudyRun, default_output_dir, run_study
from actlab.studies.spec import (
    ActivationEntry,
    StudySpec,
    load_study_spec,
    study_spec_from_dict,
    study_spec_from_toml,
)
from actlab.studies.store import ResultsStore
from actlab.studies.user_studies import user_study

__all__ = [
    "DEFAULT_STUDY", "ActivationEntry", "Executor", "LocalProcessExecutor", "ResultsStore",
    "SerialExecutor", "StudyResults", "StudyRun", "StudySpec", "StudySpecError",
    "StudyStoreError", "Trial", "TrialOutcome", "TrialTask", "builtin_study",
    "builtin_study_names", "default_output_dir", "expand", "load_study_results",
    "load_study_spec", "run_study", "study_spec_from_dict", "study_spec_from_toml", "trial_id",
    "user_study",
]
