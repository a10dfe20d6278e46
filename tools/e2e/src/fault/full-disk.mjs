// Preloaded into a watcher with `node --import` (NODE_OPTIONS) where no small filesystem can be
// mounted: every SQLite connection the process opens gets `PRAGMA max_page_count`, so the
// database cannot grow past REFDATA_FAULT_MAX_PAGES pages and SQLite fails the write that would
// grow it with SQLITE_FULL ("database or disk is full") — the error a full disk gives.
import { register } from 'node:module';

register('./full-disk-hooks.mjs', import.meta.url);
