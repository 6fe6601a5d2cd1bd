"""The one base class of errors whose message is meant for a person.

The engine raises these for problems a user can fix or must know about: a model that is missing
or does not fit, an index that is damaged or of another model, a query it cannot understand, a
folder that does not exist. Their message is complete on its own. The CLI prints it as one line
(exit status 1) and the window shows it; any other exception is a bug, logged with its
traceback. Front ends catch this class, so none of them needs to know which parts raise it.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """A problem with a message meant for a person (what went wrong, and what to do)."""
