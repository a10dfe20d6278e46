-- @refdata least-privilege set-up: run once as a DBA (a login that may create logins, users and schemas).
-- The service login refdata_loader gets no server role and no db_owner: it owns the schemas it writes
-- (ref, bkp, stg, refdata), may create tables, and has nothing in dbo.
-- Replace the password (or use CREATE LOGIN … FROM WINDOWS / FROM EXTERNAL PROVIDER for
-- Windows or Microsoft Entra ID logins) and keep it in the file DB_PASSWORD_FILE names.
-- A name holding ] is quoted with "…", which needs QUOTED_IDENTIFIER (sqlcmd turns it off without -I).
SET QUOTED_IDENTIFIER ON;
USE [master];
GO
CREATE LOGIN [refdata_loader] WITH PASSWORD = N'<a strong password>';
GO
USE [refdata];
GO
CREATE USER [refdata_loader] FOR LOGIN [refdata_loader];
GO
CREATE SCHEMA [ref] AUTHORIZATION [refdata_loader];
GO
CREATE SCHEMA [bkp] AUTHORIZATION [refdata_loader];
GO
CREATE SCHEMA [stg] AUTHORIZATION [refdata_loader];
GO
CREATE SCHEMA [refdata] AUTHORIZATION [refdata_loader];
GO
-- SQL Server: creating tables needs this database permission besides owning the schema.
-- Babelfish refuses it ("'GRANT Database' is not currently supported") and does not need it.
GRANT CREATE TABLE TO [refdata_loader];
GO
-- Consumers of ref: read-only. Add their users with ALTER ROLE [refdata_reader] ADD MEMBER [user];
CREATE ROLE [refdata_reader];
GO
GRANT SELECT ON SCHEMA::[ref] TO [refdata_reader];
GO
