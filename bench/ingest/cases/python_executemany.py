# (e) the script a user could write in minutes: csv reader + sqlite3.executemany in one transaction.
# Usage: python3 python_executemany.py FILE DB_PATH — prints one JSON line.
import csv, json, resource, sqlite3, sys, time

file, db_path = sys.argv[1], sys.argv[2]
started = time.perf_counter()
con = sqlite3.connect(db_path)
with open(file, newline="", encoding="utf-8") as f:
    reader = csv.reader(f)
    header = next(reader)
    cols = ", ".join('"%s"' % h for h in header)
    con.execute('CREATE TABLE bench (%s)' % cols)
    marks = ", ".join("?" for _ in header)
    con.executemany("INSERT INTO bench VALUES (%s)" % marks, reader)
con.commit()
rows = con.execute("SELECT count(*) FROM bench").fetchone()[0]
con.close()
seconds = time.perf_counter() - started
print(json.dumps({"rows": rows, "seconds": seconds, "maxRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
