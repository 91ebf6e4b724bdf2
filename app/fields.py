"""Field types and vocabularies that more than one capability's wire format uses."""

import re

from marshmallow import ValidationError, fields, validate

# Kinds of items a lending library bills for (R10). The directory's own vocabulary of what a
# library lends (app/directory/rules.py) is a superset phrased for readers.
FORMATS = ("book", "large_print", "audiobook", "music_cd", "dvd", "blu_ray", "video_game",
           "magazine", "equipment", "kit", "other")


class StrictBoolean(fields.Boolean):
    """JSON true or false only: "yes", 1 and "false" are questions, not answers."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Give true or false.")
        return value


# A web address people follow: http(s), a host name with a top-level domain, an optional port,
# then no spaces or control characters. The field checks exactly the pattern the OpenAPI
# document states (app/openapi.py writes its `\Z` as `$` there).
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
WEB_ADDRESS = (rf"^https?://(?:{_LABEL}\.)+[A-Za-z]{{2,63}}(?::[0-9]{{1,5}})?"
               r"(?:[/?#][^\x00-\x20\x7f-\x9f]*)?\Z")


class WebAddress(fields.String):
    """An http(s) address with a host name (a library's web page, a request form)."""

    def __init__(self, *, max_length: int = 500, **kwargs):
        super().__init__(validate=[
            validate.Length(max=max_length),
            validate.Regexp(re.compile(WEB_ADDRESS), error="Give an http:// or https:// address "
                                                           "with a host name, without spaces.")],
            **kwargs)
