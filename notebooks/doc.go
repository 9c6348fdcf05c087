// Package notebooks holds the analysts' Jupyter notebooks (*.ipynb, the
// stock Python 3 kernel) and their SQL (sql/*.sql, one file per query,
// runnable alone with `report sql -f`). The notebooks read their SQL from
// those files and run it through the built report binary (callscope_nb.py);
// `make notebooks` executes them headless.
//
// The package has no Go code: its test runs every sql/*.sql through the
// real DuckDB views over a dataset analyzed from the demo recordings, and
// checks that every query the notebooks name exists and every SQL file is
// used.
package notebooks
