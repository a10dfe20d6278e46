-- Who touched this file? Every operation on files named @name (seen, moved, claimed, written,
-- removed, released), oldest first, with the OS user and the watcher instance that did it.
-- SQLite: sqlite3 -cmd ".parameter set @name 'currencies.csv'" data/refdata.db < this file
SELECT a.file_id AS file_id,
       json_extract(a.details, '$.at') AS at,
       json_extract(a.details, '$.operation') AS operation,
       json_extract(a.details, '$.reason') AS reason,
       json_extract(a.details, '$.from') AS from_path,
       json_extract(a.details, '$.to') AS to_path,
       json_extract(a.details, '$.user') AS os_user,
       json_extract(a.details, '$.instanceId') AS instance_id
FROM "refdata.audit" AS a
WHERE a.step = 'access' AND json_extract(a.details, '$.name') = @name
ORDER BY a.id;
