#!/usr/bin/env python3
"""Writes the real-world corpus again in other dialects, to check that detection generalises.

usage: realworld_variants.py CORPUS OUTDIR [SCORER_DIR]
  Reads every file of CORPUS (csv/ and truth.json) with its annotated dialect, writes the same
  rows with Python's csv writer in ten other dialects (semicolon, tab, pipe, every value quoted,
  non-numeric quoted, ' quotes, backslash escapes, Windows-1252 with CRLF, UTF-16 with CRLF, and
  semicolons in UTF-8 with a BOM, CRLF and two title lines and a blank line above) to
  OUTDIR/csv/<variant>__<name>, and their annotations to OUTDIR/truth.json (set = variant), so
  realworld_score.py scores them like the originals. A file that cannot be written in a variant
  (a character Windows-1252 lacks) is left out of it.
"""
import csv
import io
import json
import os
import sys
sys.path.insert(0, sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared', 'bench'))
import realworld_score as s
corpus=sys.argv[1]
out=sys.argv[2]
os.makedirs(out+'/csv', exist_ok=True)
truth=json.load(open(corpus+'/truth.json'))
T={}
def raw_rows(path,t):
    data=open(path,'rb').read()
    try: text=data.decode(s.ENC.get(t['encoding'],'utf-8-sig'))
    except UnicodeDecodeError: text=data.decode('latin-1')
    kw={'delimiter':s.DELIM.get(t['delimiter'],','),'quotechar':s.QUOTE.get(t['quote'],'"')}
    if t['quote']=='': kw['quoting']=csv.QUOTE_NONE
    if t['escape']=='backslash': kw.update(escapechar='\\',doublequote=False)
    return list(csv.reader(io.StringIO(text,newline=''),**kw))
VARIANTS={
 'semi':   dict(delimiter=';', enc='utf-8', t=('semicolon','doublequote','doublequote','utf8')),
 'tab':    dict(delimiter='\t', enc='utf-8', t=('tab','doublequote','doublequote','utf8')),
 'pipe':   dict(delimiter='|', enc='utf-8', t=('vslash','doublequote','doublequote','utf8')),
 'qall':   dict(delimiter=',', quoting=csv.QUOTE_ALL, enc='utf-8', t=('comma','doublequote','doublequote','utf8')),
 'qnonnum':dict(delimiter=',', quoting=csv.QUOTE_NONNUMERIC, enc='utf-8', t=('comma','doublequote','doublequote','utf8')),
 'squote': dict(delimiter=';', quotechar="'", enc='utf-8', t=('semicolon','singlequote','doublequote','utf8')),
 'bslash': dict(delimiter=',', escapechar='\\', doublequote=False, enc='utf-8', t=('comma','doublequote','backslash','utf8')),
 'cp1252': dict(delimiter=';', enc='cp1252', lt='\r\n', t=('semicolon','doublequote','doublequote','ansi')),
 'utf16':  dict(delimiter='\t', enc='utf-16', lt='\r\n', t=('tab','doublequote','doublequote','utf16')),
 'titled': dict(delimiter=';', enc='utf-8-sig', lt='\r\n', title='Export of the table\r\nGenerated 2024-01-31 by a report tool\r\n\r\n', t=('semicolon','doublequote','doublequote','utf8')),
}
for name,t in truth.items():
    rows=raw_rows(os.path.join(corpus,'csv',name),t)
    for v,cfg in VARIANTS.items():
        d,q,e,enc=cfg['t']
        kw={'delimiter':cfg['delimiter'],'lineterminator':cfg.get('lt','\n')}
        for k in ('quoting','quotechar','escapechar','doublequote'):
            if k in cfg: kw[k]=cfg[k]
        if cfg.get('quoting')==csv.QUOTE_NONNUMERIC:
            def conv(c):
                try: return float(c) if c.strip()!='' and str(float(c))==c else c
                except ValueError: return c
            rr=[[conv(c) for c in r] for r in rows]
        else: rr=rows
        buf=io.StringIO()
        try:
            csv.writer(buf,**kw).writerows(rr)
            data=(cfg.get('title','')+buf.getvalue()).encode(cfg['enc'])
        except Exception as ex:
            continue
        fn=v+'__'+name
        open(os.path.join(out,'csv',fn),'wb').write(data)
        truth_v={'delimiter':d,'quote':q,'escape':e,'encoding':enc,'set':v}
        T[fn]=truth_v
json.dump(T,open(out+'/truth.json','w'),indent=1)
print(len(T))
