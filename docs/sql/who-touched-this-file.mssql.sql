-- Who touched this file? Every operation on files named @name (seen, moved, claimed, written,
-- removed, released), oldest first, with the OS user and the watcher instance that did it.
-- SQL Server / Babelfish: DECLARE @name NVARCHAR(4000) = N'currencies.csv'; then this query.
SELECT a.file_id AS file_id,
       JSON_VALUE(a.details, '$.at') AS at,
       JSON_VALUE(a.details, '$.operation') AS operation,
       JSON_VALUE(a.details, '$.reason') AS reason,
       JSON_VALUE(a.details, '$.from') AS from_path,
       JSON_VALUE(a.details, '$.to') AS to_path,
       JSON_VALUE(a.details, '$.user') AS os_user,
       JSON_VALUE(a.details, '$.instanceId') AS instance_id
FROM [refdata].[audit] AS a
WHERE a.step = N'access' AND JSON_VALUE(a.details, '$.name') = @name
ORDER BY a.id;
