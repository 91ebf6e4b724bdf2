"""Field types and vocabularies that more than one capability's wire format uses."""

from marshmallow import ValidationError, fields

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
