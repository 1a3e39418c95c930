"""A table file (CSV): read it (any of the usual delimiters), decide what each column is, and
encode the rows as numbers the same way at training and at prediction time.

The rules, in one place:

- The delimiter is sniffed (``csv.Sniffer``) among ``, ; TAB |``; a header row is required.
  With a delimiter other than a comma, ``3,5`` also reads as the number 3.5.
- Missing cells: empty, ``?``, ``NA``, ``N/A``, ``nan``, ``null``, ``None`` (any case).
- The target: rows without a target are always dropped. A numeric target with more than
  ``MAX_INFERRED_CLASSES`` distinct values, or any non-integer value, is regression; any other
  target (text, or a few integer codes) is classification. ``--task`` overrides.
- Features: a column of numbers is numeric (standardised later); a column of text is
  categorical (one-hot, one 0/1 column per level, as the course does for Auto MPG's Origin);
  ``--categorical`` one-hots numeric codes too. A text column of dates (ISO 8601 or one of
  ``DATE_FORMATS``) becomes its year, month, day of the year and weekday (the parts that
  vary), with a note. Dropped with a note: constant columns,
  ID-like columns (text with every value distinct; integers with every value distinct that
  are named like an ID or count up by one) and text with too many levels to one-hot.
- Missing feature values: ``drop`` removes the row; ``mean`` keeps it with NaN in the
  encoded matrix, and the run's preprocessing fills NaN with the training-split mean (for a
  one-hot column that is the level's frequency).

Every door reads through here: the ``csv`` data-set loader (``mlplab.data.csvfile``),
``mlplab train`` and ``mlplab predict`` (``mlplab.byod``). The modules: ``sniff`` (file,
encoding, delimiter, header), ``types`` (missing markers, numbers, column kinds), ``target``
(the task rule), ``encode`` (the float32 matrix), ``dates``. Plain Python lists and NumPy;
pandas is not needed.
"""

from mlplab.data.table.dates import DATE_FORMATS, DATE_PARTS, date_parts, parse_date, read_dates
from mlplab.data.table.encode import encode, feature_names, fit_levels
from mlplab.data.table.sniff import DELIMITER_NAMES, DELIMITERS, Table, read_table, sniff_delimiter
from mlplab.data.table.target import (
    MAX_INFERRED_CLASSES,
    TASKS,
    Target,
    check_classes,
    class_key,
    infer_task,
    read_target,
)
from mlplab.data.table.types import (
    FLOAT32_MAX,
    MAX_JUNK_SPELLINGS,
    MAX_LEVELS,
    MIN_ROWS_FOR_ID,
    MISSING_MARKERS,
    MOSTLY_NUMERIC,
    Cells,
    choose_columns,
    is_missing,
    missing_rows,
    number_name,
    numeric_columns,
    numeric_with_junk,
    to_number,
)

__all__ = ["DATE_FORMATS", "DATE_PARTS", "DELIMITERS", "DELIMITER_NAMES", "FLOAT32_MAX",
           "MAX_INFERRED_CLASSES", "MAX_JUNK_SPELLINGS", "MAX_LEVELS", "MIN_ROWS_FOR_ID",
           "MISSING_MARKERS", "MOSTLY_NUMERIC", "TASKS", "Cells", "Table", "Target",
           "check_classes", "choose_columns", "class_key", "date_parts", "encode",
           "feature_names", "fit_levels", "infer_task", "is_missing", "missing_rows",
           "number_name", "numeric_columns", "numeric_with_junk", "parse_date", "read_dates",
           "read_table", "read_target", "sniff_delimiter", "to_number"]
