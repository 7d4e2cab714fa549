"""Makes nx-27017 keep booleans that `$set` writes as booleans.

neosqlite (nx-27017's storage) binds a `$set` value as an SQL parameter of `json_set`, and
Python's sqlite3 binds True/False as the integers 1/0: a document whose `cancelRequested: false`
was updated reads back `cancelRequested: 0`, which compute's typed records refuse (MongoDB
keeps the boolean). Passing booleans through `json(?)`, as neosqlite already does for objects,
keeps them JSON booleans. Each replacement must apply exactly once, so a changed neosqlite fails
the image build instead of running unpatched.
"""

import pathlib
import sys

import neosqlite.collection.query_helper._sql_updates as module

path = pathlib.Path(module.__file__)
source = path.read_text()
replacements = [
    # update_one/many's builder: existing and new fields.
    (
        "                        elif isinstance(converted_val, (dict, list)):\n"
        "                            param_value = neosqlite_json_dumps(converted_val)\n"
        "                            use_json_func = True\n",
        "                        elif isinstance(converted_val, (dict, list, bool)):\n"
        "                            param_value = neosqlite_json_dumps(converted_val)\n"
        "                            use_json_func = True\n",
    ),
    # The clause builder's $set (find_one_and_update and the other single-clause paths).
    (
        "                    json_path = f\"'{parse_json_path(field)}'\"\n"
        "                    if isinstance(converted_val, Binary):\n"
        "                        clauses.append(f\"{json_path}, json(?)\")\n",
        "                    json_path = f\"'{parse_json_path(field)}'\"\n"
        "                    if isinstance(converted_val, (Binary, bool)):\n"
        "                        clauses.append(f\"{json_path}, json(?)\")\n",
    ),
]
for old, new in replacements:
    if source.count(old) != 1:
        sys.exit(f"{path}: expected once, found {source.count(old)} times:\n{old}")
    source = source.replace(old, new)
path.write_text(source)
