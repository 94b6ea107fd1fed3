"""The `zoo` command and what it needs to run apps: the app contract (``apps``), the LightningCLI base every app's
fit/test uses (``lightning_cli``), the run record and report (``report``), ``zoo demo``, the GPU check and the
top-level dispatcher (``cli``). It imports the library core and the lessons, never an app by name: apps announce
themselves through the ``zoo_suite.apps`` entry points."""
