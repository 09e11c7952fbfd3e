-- Everything the installed varformer extension consists of, as one JSON object
-- {"<object> / <aspect>": "<definition>"}, for test/t/051_extension_update.pl, which compares
-- a database updated from an older version with a fresh install of the current one.
--
-- The objects are the extension's members (pg_depend deptype 'e', named by
-- pg_describe_object, so OIDs never enter the comparison), and for each the definition
-- that a user or pg_dump could tell apart: a function's whole CREATE statement
-- (pg_get_functiondef: volatility, STRICT, PARALLEL, COST, ROWS, SECURITY, SET, SUPPORT and
-- the body or C symbol), an aggregate's transition functions, a type's I/O functions and
-- storage, an operator's function, commutator, negator and estimators, operator
-- classes and families with their members, casts, tables with their columns in order (type,
-- NOT NULL, default, generated expression, storage), constraints, indexes, triggers,
-- policies, views' queries, sequences' parameters; the comment and the privileges of each of
-- them (columns included), and the extension's own row (version, schema, the tables
-- pg_dump saves and their filters).
WITH ext AS (
    SELECT e.oid, e.extname, e.extversion, e.extrelocatable, e.extnamespace::regnamespace::text AS nsp,
           e.extconfig, e.extcondition
    FROM pg_catalog.pg_extension e WHERE e.extname = 'varformer'
),
member AS (
    SELECT d.classid, d.objid, pg_catalog.pg_describe_object(d.classid, d.objid, 0) AS obj
    FROM pg_catalog.pg_depend d, ext
    WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
),
-- operator families of the extension's operator classes (created implicitly by CREATE
-- OPERATOR CLASS) count as its own even where pg_depend ties them to the class only
family AS (
    SELECT DISTINCT f.oid, pg_catalog.pg_describe_object('pg_catalog.pg_opfamily'::regclass, f.oid, 0) AS obj
    FROM member m
    JOIN pg_catalog.pg_opclass c ON m.classid = 'pg_catalog.pg_opclass'::regclass AND c.oid = m.objid
    JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily
    UNION
    SELECT m.objid, m.obj FROM member m WHERE m.classid = 'pg_catalog.pg_opfamily'::regclass
),
rel AS (
    SELECT c.oid, m.obj, c.relkind FROM member m JOIN pg_catalog.pg_class c
      ON m.classid = 'pg_catalog.pg_class'::regclass AND c.oid = m.objid
),
item(obj, aspect, detail) AS (
    -- the extension itself
    SELECT 'extension varformer', 'row',
           format('version=%s relocatable=%s schema=%s', extversion, extrelocatable, nsp)
    FROM ext
    UNION ALL
    SELECT 'extension varformer', 'dumped table ' || cfg::regclass::text,
           coalesce(cond, '')
    FROM ext, unnest(extconfig, extcondition) AS u(cfg, cond)
    UNION ALL
    -- every member exists, whatever its kind
    SELECT obj, 'member', '' FROM member
    UNION ALL
    SELECT m.obj, 'comment', pg_catalog.obj_description(m.objid, m.classid::regclass::text)
    FROM member m
    WHERE pg_catalog.obj_description(m.objid, m.classid::regclass::text) IS NOT NULL
    UNION ALL
    -- functions, procedures, aggregates
    SELECT m.obj, 'definition',
           CASE WHEN p.prokind = 'a' THEN
                format('aggregate kind=%s transfn=%s finalfn=%s combinefn=%s serialfn=%s deserialfn=%s '
                       'stype=%s sspace=%s initval=%s finalmodify=%s sortop=%s msfunc=%s mstype=%s '
                       'strict=%s parallel=%s volatility=%s cost=%s',
                       a.aggkind, a.aggtransfn::regprocedure, a.aggfinalfn, a.aggcombinefn,
                       a.aggserialfn, a.aggdeserialfn, a.aggtranstype::regtype, a.aggtransspace,
                       a.agginitval, a.aggfinalmodify, a.aggsortop::regoperator, a.aggmtransfn,
                       a.aggmtranstype::regtype, p.proisstrict, p.proparallel, p.provolatile, p.procost)
                ELSE pg_catalog.pg_get_functiondef(p.oid) END
    FROM member m JOIN pg_catalog.pg_proc p ON m.classid = 'pg_catalog.pg_proc'::regclass AND p.oid = m.objid
    LEFT JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid
    UNION ALL
    SELECT m.obj, 'privileges', coalesce(p.proacl::text, 'default')
    FROM member m JOIN pg_catalog.pg_proc p ON m.classid = 'pg_catalog.pg_proc'::regclass AND p.oid = m.objid
    UNION ALL
    -- types
    SELECT m.obj, 'definition',
           format('type=%s len=%s byval=%s category=%s preferred=%s delim=%s input=%s output=%s '
                  'receive=%s send=%s modin=%s modout=%s analyze=%s subscript=%s align=%s storage=%s '
                  'notnull=%s base=%s typmod=%s ndims=%s collation=%s default=%s elem=%s array=%s relid=%s acl=%s',
                  t.typtype, t.typlen, t.typbyval, t.typcategory, t.typispreferred, t.typdelim,
                  t.typinput::regprocedure, t.typoutput::regprocedure, t.typreceive::regprocedure,
                  t.typsend::regprocedure, t.typmodin::regprocedure, t.typmodout::regprocedure,
                  t.typanalyze::regprocedure, t.typsubscript::regprocedure, t.typalign, t.typstorage,
                  t.typnotnull, t.typbasetype::regtype, t.typtypmod, t.typndims, t.typcollation::regcollation,
                  t.typdefault, t.typelem::regtype, t.typarray::regtype, t.typrelid::regclass,
                  coalesce(t.typacl::text, 'default'))
    FROM member m JOIN pg_catalog.pg_type t ON m.classid = 'pg_catalog.pg_type'::regclass AND t.oid = m.objid
    UNION ALL
    -- operators
    SELECT m.obj, 'definition',
           format('kind=%s result=%s function=%s commutator=%s negator=%s restrict=%s join=%s merges=%s hashes=%s',
                  o.oprkind, o.oprresult::regtype, o.oprcode::regprocedure, o.oprcom::regoperator,
                  o.oprnegate::regoperator, o.oprrest::regprocedure, o.oprjoin::regprocedure,
                  o.oprcanmerge, o.oprcanhash)
    FROM member m JOIN pg_catalog.pg_operator o ON m.classid = 'pg_catalog.pg_operator'::regclass AND o.oid = m.objid
    UNION ALL
    -- operator classes and the families' operators and support functions
    SELECT m.obj, 'definition',
           format('method=%s type=%s default=%s keytype=%s family=%s', am.amname, c.opcintype::regtype,
                  c.opcdefault, c.opckeytype::regtype,
                  pg_catalog.pg_describe_object('pg_catalog.pg_opfamily'::regclass, c.opcfamily, 0))
    FROM member m JOIN pg_catalog.pg_opclass c ON m.classid = 'pg_catalog.pg_opclass'::regclass AND c.oid = m.objid
    JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod
    UNION ALL
    SELECT f.obj, format('operator %s(%s,%s) strategy %s', ao.amopopr::regoperator, ao.amoplefttype::regtype,
                         ao.amoprighttype::regtype, ao.amopstrategy),
           format('purpose=%s sortfamily=%s', ao.amoppurpose, ao.amopsortfamily)
    FROM family f JOIN pg_catalog.pg_amop ao ON ao.amopfamily = f.oid
    UNION ALL
    SELECT f.obj, format('function %s(%s,%s) number %s', ap.amproc::regprocedure, ap.amproclefttype::regtype,
                         ap.amprocrighttype::regtype, ap.amprocnum), ''
    FROM family f JOIN pg_catalog.pg_amproc ap ON ap.amprocfamily = f.oid
    UNION ALL
    -- casts
    SELECT m.obj, 'definition', format('function=%s context=%s method=%s', c.castfunc::regprocedure,
                                       c.castcontext, c.castmethod)
    FROM member m JOIN pg_catalog.pg_cast c ON m.classid = 'pg_catalog.pg_cast'::regclass AND c.oid = m.objid
    UNION ALL
    -- tables, views, sequences: the relation, then its parts
    SELECT r.obj, 'relation',
           format('kind=%s persistence=%s options=%s rowsecurity=%s forcerowsecurity=%s replident=%s acl=%s',
                  r.relkind, c.relpersistence, c.reloptions, c.relrowsecurity, c.relforcerowsecurity,
                  c.relreplident, coalesce(c.relacl::text, 'default'))
    FROM rel r JOIN pg_catalog.pg_class c ON c.oid = r.oid
    UNION ALL
    -- columns by their place among the live ones (a column dropped by an update leaves a
    -- hole in attnum; a column added by one goes to the end and must in a fresh install too)
    SELECT r.obj, format('column %s', row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum)),
           format('name=%s type=%s notnull=%s default=%s generated=%s identity=%s storage=%s collation=%s '
                  'statistics=%s acl=%s comment=%s',
                  a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attgenerated, a.attidentity, a.attstorage,
                  a.attcollation::regcollation, a.attstattarget, coalesce(a.attacl::text, 'default'),
                  pg_catalog.col_description(r.oid, a.attnum))
    FROM rel r JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = r.oid AND ad.adnum = a.attnum
    UNION ALL
    SELECT r.obj, 'constraint ' || co.conname,
           pg_catalog.pg_get_constraintdef(co.oid) || coalesce(' comment=' || pg_catalog.obj_description(co.oid, 'pg_constraint'), '')
    FROM rel r JOIN pg_catalog.pg_constraint co ON co.conrelid = r.oid
    UNION ALL
    SELECT r.obj, 'index ' || ic.relname,
           pg_catalog.pg_get_indexdef(i.indexrelid) || coalesce(' comment=' || pg_catalog.obj_description(ic.oid, 'pg_class'), '')
    FROM rel r JOIN pg_catalog.pg_index i ON i.indrelid = r.oid JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    UNION ALL
    SELECT r.obj, 'trigger ' || tg.tgname, pg_catalog.pg_get_triggerdef(tg.oid)
    FROM rel r JOIN pg_catalog.pg_trigger tg ON tg.tgrelid = r.oid AND NOT tg.tgisinternal
    UNION ALL
    SELECT r.obj, 'policy ' || po.polname,
           format('cmd=%s permissive=%s roles=%s using=%s check=%s', po.polcmd, po.polpermissive,
                  po.polroles::regrole[], pg_catalog.pg_get_expr(po.polqual, po.polrelid),
                  pg_catalog.pg_get_expr(po.polwithcheck, po.polrelid))
    FROM rel r JOIN pg_catalog.pg_policy po ON po.polrelid = r.oid
    UNION ALL
    SELECT r.obj, 'rule ' || ru.rulename, pg_catalog.pg_get_ruledef(ru.oid)
    FROM rel r JOIN pg_catalog.pg_rewrite ru ON ru.ev_class = r.oid AND ru.rulename <> '_RETURN'
    UNION ALL
    SELECT r.obj, 'query', pg_catalog.pg_get_viewdef(r.oid)
    FROM rel r WHERE r.relkind IN ('v', 'm')
    UNION ALL
    SELECT r.obj, 'sequence',
           format('type=%s start=%s increment=%s max=%s min=%s cache=%s cycle=%s', s.seqtypid::regtype,
                  s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle)
    FROM rel r JOIN pg_catalog.pg_sequence s ON s.seqrelid = r.oid
    UNION ALL
    -- event triggers
    SELECT m.obj, 'definition', format('event=%s function=%s tags=%s enabled=%s', et.evtevent,
                                       et.evtfoid::regprocedure, et.evttags, et.evtenabled)
    FROM member m JOIN pg_catalog.pg_event_trigger et
      ON m.classid = 'pg_catalog.pg_event_trigger'::regclass AND et.oid = m.objid
)
SELECT pg_catalog.jsonb_object_agg(obj || ' / ' || aspect, coalesce(detail, '')) FROM item;
