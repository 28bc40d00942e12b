"""Coursework: what an instructor needs to assign the book, and what students' work runs in.

* :mod:`.sandbox` — the only place that starts an untrusted process (student code, student LaTeX).
* :mod:`.code_worker`, :mod:`.answer_worker` — the scripts that run inside the sandbox.
* :mod:`.grade` — the autograder: ``python -m derivations.coursework.grade SUBMISSION...``.
* :mod:`.rubric` — the code parts' hidden points, criteria and points, and how a part is scored.
* :mod:`.submissions` — reading notebooks and .py files, with every cap checked before parsing.
* :mod:`.safe_text` — text a student controls, made safe for a terminal and a spreadsheet.
* :mod:`.answers` — the written-answer checker, ``check_answer(part, latex)`` (reads LaTeX, never runs it).
* :mod:`.verdicts` — the one verdict type and transpose policy every judge of a written formula uses.
* :mod:`.handwritten` — grades the handwritten solution the book started from, formula by formula.
* :mod:`.edition` — how solutions are marked, and the one stripper that removes them.
* :mod:`.student` — builds the student edition (``make student``).
* :mod:`.assignment` — the assignment notebook students submit.
* :mod:`.unimplemented` — what the student edition leaves where a solution was.
"""
