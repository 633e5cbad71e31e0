"""What every subcommand shares: exit codes (:mod:`.codes`), options and argument
types (:mod:`.options`), input reading (:mod:`.inputs`), printing (:mod:`.output`), the
context of a run (:mod:`.context`) and the sampling rungs of ``prove`` and
``check-model`` (:mod:`.rungs`). Subcommand modules import only this package and the
library."""
from .codes import (EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_CODES, EXIT_INTERNAL, EXIT_LIMIT, EXIT_NUMERICAL,
                    EXIT_PROVED, EXIT_REFUTED, UsageError)
from .context import command_context, time_limit
from .inputs import load_model_file, read_input_file, resolve_text_inputs
from .options import (LIMIT_MAXIMA, MAX_SIZE, MAX_TIMEOUT, add_backend_option,
                      add_certificate_options,
                      add_common_options, add_construction_option, add_domain_option,
                      add_json_option, add_limit_option, add_limit_options,
                      add_polynomial_argument, add_timeout_option, bounded_int, file_kind,
                      limits_from_args, non_negative_int, output_file, positive_int,
                      timeout_seconds)
from .output import (label_float_reading, one_line, print_evidence, print_json,
                     print_summary, verdict_line, write_certificate_option)
from .rungs import (add_rung_options, build_from_args, built_summary, check_exact_rung_options,
                    check_numerical_args, check_probabilistic_args, deadline_of,
                    fallback_applies, loaded_summary, report_numerical, report_probabilistic)

__all__ = ["EXIT_BAD_INPUT", "EXIT_BROKEN_PIPE", "EXIT_CODES", "EXIT_INTERNAL", "EXIT_LIMIT", "EXIT_NUMERICAL",
           "EXIT_PROVED", "EXIT_REFUTED", "LIMIT_MAXIMA", "MAX_SIZE", "MAX_TIMEOUT",
           "UsageError", "add_backend_option", "add_certificate_options", "add_common_options",
           "add_construction_option", "add_domain_option", "add_json_option",
           "add_limit_option", "add_limit_options", "add_polynomial_argument",
           "add_rung_options", "add_timeout_option", "bounded_int", "build_from_args",
           "built_summary", "check_exact_rung_options", "check_numerical_args",
           "check_probabilistic_args", "command_context", "deadline_of", "fallback_applies",
           "file_kind", "label_float_reading", "limits_from_args", "load_model_file",
           "loaded_summary", "non_negative_int", "one_line", "output_file", "positive_int",
           "print_evidence", "print_json", "print_summary", "read_input_file",
           "report_numerical", "report_probabilistic", "resolve_text_inputs", "time_limit",
           "timeout_seconds", "verdict_line", "write_certificate_option"]
