# (d) the seed architecture's pipeline: pandas read_csv in 990-row chunks, to_sql into SQLite.
# Usage: /usr/bin/python3 pandas_to_sql.py FILE DB_PATH — prints one JSON line.
import json, resource, sqlite3, sys, time
import pandas as pd

file, db_path = sys.argv[1], sys.argv[2]
started = time.perf_counter()
con = sqlite3.connect(db_path)
rows = 0
for chunk in pd.read_csv(file, chunksize=990):
    chunk.to_sql("bench", con, if_exists="append", index=False)
    rows += len(chunk)
con.commit()
con.close()
seconds = time.perf_counter() - started
print(json.dumps({"rows": rows, "seconds": seconds, "maxRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
