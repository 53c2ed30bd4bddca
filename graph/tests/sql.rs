//! The SQL statement splitter and the dialect type: one table of cases per dialect (expected
//! statements and their lines), the errors, and every up.sql and down.sql of two real diesel
//! histories, which must split without ever splitting inside a construct.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::path::{Path, PathBuf};

use aludel_graph::parse_revision_file;
use aludel_graph::sql::{split_statements, Construct, Dialect, SplitError, Statement};

#[path = "support/corpora.rs"]
mod corpora;
use corpora::corpus;

/// One scenario: SQL in, `(line, text)` of each statement out.
struct Case {
    name: &'static str,
    sql: &'static str,
    expected: &'static [(u32, &'static str)],
}

fn run_cases(dialect: Dialect, cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        match split_statements(case.sql, dialect) {
            Ok(statements) => {
                let got: Vec<(u32, &str)> = statements.iter().map(|s| (s.line, s.text)).collect();
                if got != case.expected {
                    failures.push(format!(
                        "{dialect} case `{}`:\n  expected {:#?}\n  got      {got:#?}",
                        case.name, case.expected
                    ));
                }
            }
            Err(err) => failures.push(format!("{dialect} case `{}`: error {err}", case.name)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const POSTGRES: &[Case] = &[
    Case {
        name: "plpgsql trigger function with $$",
        sql: r#"CREATE TABLE posts (id serial PRIMARY KEY, updated_at timestamptz);

CREATE FUNCTION set_updated_at() RETURNS trigger AS $$
BEGIN
    IF (NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at) THEN
        NEW.updated_at := current_timestamp;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER posts_updated_at BEFORE UPDATE ON posts
FOR EACH ROW EXECUTE PROCEDURE set_updated_at();
"#,
        expected: &[
            (1, "CREATE TABLE posts (id serial PRIMARY KEY, updated_at timestamptz)"),
            (
                3,
                "CREATE FUNCTION set_updated_at() RETURNS trigger AS $$\nBEGIN\n    IF (NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at) THEN\n        NEW.updated_at := current_timestamp;\n    END IF;\n    RETURN NEW;\nEND\n$$ LANGUAGE plpgsql",
            ),
            (
                12,
                "CREATE TRIGGER posts_updated_at BEFORE UPDATE ON posts\nFOR EACH ROW EXECUTE PROCEDURE set_updated_at()",
            ),
        ],
    },
    Case {
        name: "DO block with a tagged dollar quote holding other dollar quotes",
        sql: r#"DO $do$
BEGIN
   IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN
      EXECUTE $q$CREATE ROLE app; COMMENT ON ROLE app IS 'a;b'$q$;
      PERFORM $$ still; inside $$;
   END IF;
END
$do$;
SELECT 1;"#,
        expected: &[
            (
                1,
                "DO $do$\nBEGIN\n   IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN\n      EXECUTE $q$CREATE ROLE app; COMMENT ON ROLE app IS 'a;b'$q$;\n      PERFORM $$ still; inside $$;\n   END IF;\nEND\n$do$",
            ),
            (9, "SELECT 1"),
        ],
    },
    Case {
        name: "CREATE INDEX CONCURRENTLY after another statement",
        sql: "-- transactional: false\nALTER TABLE crates ADD COLUMN downloads integer;\nCREATE INDEX CONCURRENTLY crates_downloads ON crates (downloads);\n",
        expected: &[
            (2, "ALTER TABLE crates ADD COLUMN downloads integer"),
            (3, "CREATE INDEX CONCURRENTLY crates_downloads ON crates (downloads)"),
        ],
    },
    Case {
        name: "strings holding ; -- and /*",
        sql: "INSERT INTO t VALUES ('a;b', 'c -- d', '/* e', 'it''s; fine');\nSELECT ';' AS \"semi;colon\", 'x''--'; SELECT 3",
        expected: &[
            (1, "INSERT INTO t VALUES ('a;b', 'c -- d', '/* e', 'it''s; fine')"),
            (2, "SELECT ';' AS \"semi;colon\", 'x''--'"),
            (2, "SELECT 3"),
        ],
    },
    Case {
        name: "nested block comments",
        sql: "/* outer /* inner; */ still a comment; */ SELECT 1;\nSELECT /* a /* b */ c; */ 2;",
        expected: &[(1, "SELECT 1"), (2, "SELECT /* a /* b */ c; */ 2")],
    },
    Case {
        name: "E-strings with backslash escapes; plain strings without",
        sql: "SELECT E'it\\'s; fine', e'back\\\\';\nSELECT 'plain\\';\nSELECT E'\\\\'';''';",
        expected: &[
            (1, "SELECT E'it\\'s; fine', e'back\\\\'"),
            (2, "SELECT 'plain\\'"),
            (3, "SELECT E'\\\\'';'''"),
        ],
    },
    Case {
        name: "a word ending in e before a quote is no E-string",
        sql: "SELECT date'2020-01-01', some'\\'; SELECT 2;",
        expected: &[(1, "SELECT date'2020-01-01', some'\\'"), (1, "SELECT 2")],
    },
    Case {
        name: "positional parameters and $ in identifiers are no dollar quotes",
        sql: "PREPARE q (int, int) AS SELECT $1 + $2;\nSELECT a$b$ FROM t$1;\nEXECUTE q(1, 2);",
        expected: &[
            (1, "PREPARE q (int, int) AS SELECT $1 + $2"),
            (2, "SELECT a$b$ FROM t$1"),
            (3, "EXECUTE q(1, 2)"),
        ],
    },
    Case {
        name: "BEGIN ATOMIC function and procedure bodies (PostgreSQL 14)",
        sql: r#"CREATE FUNCTION add(a integer, b integer) RETURNS integer
    LANGUAGE SQL
    IMMUTABLE
    BEGIN ATOMIC
        SELECT CASE WHEN a IS NULL THEN 0 ELSE a END + b;
    END;
create or replace procedure insert_data(a integer, b integer)
language sql
begin atomic
  insert into tbl values (a);
  insert into tbl values (b);
end;
CALL insert_data(1, 2);"#,
        expected: &[
            (
                1,
                "CREATE FUNCTION add(a integer, b integer) RETURNS integer\n    LANGUAGE SQL\n    IMMUTABLE\n    BEGIN ATOMIC\n        SELECT CASE WHEN a IS NULL THEN 0 ELSE a END + b;\n    END",
            ),
            (
                7,
                "create or replace procedure insert_data(a integer, b integer)\nlanguage sql\nbegin atomic\n  insert into tbl values (a);\n  insert into tbl values (b);\nend",
            ),
            (13, "CALL insert_data(1, 2)"),
        ],
    },
    Case {
        name: "a parameter named begin sits in parentheses",
        sql: "CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql RETURN (begin + 1);\nSELECT f(1);",
        expected: &[
            (1, "CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql RETURN (begin + 1)"),
            (2, "SELECT f(1)"),
        ],
    },
    Case {
        name: "transactions and keyword-like identifiers",
        sql: "BEGIN;\nCREATE TABLE t (begin_date date, \"end\" int, \"begin\" int, end_date date);\nCOMMIT;",
        expected: &[
            (1, "BEGIN"),
            (2, "CREATE TABLE t (begin_date date, \"end\" int, \"begin\" int, end_date date)"),
            (3, "COMMIT"),
        ],
    },
    Case {
        name: "a rule with several commands in parentheses",
        sql: "CREATE RULE log_ins AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT 1;",
        expected: &[
            (
                1,
                "CREATE RULE log_ins AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))",
            ),
            (2, "SELECT 1"),
        ],
    },
    Case {
        name: "comments around statements; empty and comment-only pieces",
        sql: "-- header\n\n;;\nSELECT 1 -- trailing\n;\n/* only a comment */;\n  /* leading */ SELECT 2 /* inside */ + 3 /* after */\n-- the end",
        expected: &[(4, "SELECT 1"), (7, "SELECT 2 /* inside */ + 3")],
    },
    Case {
        name: "quoted identifiers and U& strings",
        sql: "CREATE TABLE \"we;ird\" (\"col\"\"; umn\" int);\nSELECT U&'d\\0061t;a', U&\"x;\", B'1010', N'n;', X'0;';",
        expected: &[
            (1, "CREATE TABLE \"we;ird\" (\"col\"\"; umn\" int)"),
            (2, "SELECT U&'d\\0061t;a', U&\"x;\", B'1010', N'n;', X'0;'"),
        ],
    },
    Case {
        name: "CRLF line endings, a byte-order mark, no final semicolon",
        sql: "\u{feff}SELECT 1;\r\n\r\nSELECT\r\n  2\r\n",
        expected: &[(1, "SELECT 1"), (3, "SELECT\r\n  2")],
    },
    Case {
        name: "# is an operator, not a comment",
        sql: "SELECT 5 # 3; SELECT 1",
        expected: &[(1, "SELECT 5 # 3"), (1, "SELECT 1")],
    },
    Case {
        name: "empty input",
        sql: "  \n-- nothing\n",
        expected: &[],
    },
];

const SQLITE: &[Case] = &[
    Case {
        name: "trigger body with semicolons",
        sql: r#"CREATE TABLE a (x);
CREATE TRIGGER a_ins AFTER INSERT ON a BEGIN
  INSERT INTO log VALUES ('a;b');
  UPDATE counts SET n = CASE WHEN n IS NULL THEN 1 ELSE n + 1 END;
END;
INSERT INTO a VALUES (1);"#,
        expected: &[
            (1, "CREATE TABLE a (x)"),
            (
                2,
                "CREATE TRIGGER a_ins AFTER INSERT ON a BEGIN\n  INSERT INTO log VALUES ('a;b');\n  UPDATE counts SET n = CASE WHEN n IS NULL THEN 1 ELSE n + 1 END;\nEND",
            ),
            (6, "INSERT INTO a VALUES (1)"),
        ],
    },
    Case {
        name: "temp trigger, IF NOT EXISTS, WHEN, lower case, comments before END",
        sql: "create temp trigger if not exists t2 before delete on a for each row when old.x > 0 begin select raise(abort, 'no; never'); -- why\n/* c */ end ; select 2",
        expected: &[
            (
                1,
                "create temp trigger if not exists t2 before delete on a for each row when old.x > 0 begin select raise(abort, 'no; never'); -- why\n/* c */ end",
            ),
            (2, "select 2"),
        ],
    },
    Case {
        name: "CREATE TEMPORARY TRIGGER and a trigger whose body ends without a final semicolon",
        sql: "CREATE TEMPORARY TRIGGER t AFTER UPDATE ON a BEGIN DELETE FROM b; END",
        expected: &[(
            1,
            "CREATE TEMPORARY TRIGGER t AFTER UPDATE ON a BEGIN DELETE FROM b; END",
        )],
    },
    Case {
        name: "transactions and keyword-like identifiers",
        sql: "BEGIN TRANSACTION;\nCREATE TABLE t (begin_date, \"end\", trigger_name, end_at);\nEND TRANSACTION;",
        expected: &[
            (1, "BEGIN TRANSACTION"),
            (2, "CREATE TABLE t (begin_date, \"end\", trigger_name, end_at)"),
            (3, "END TRANSACTION"),
        ],
    },
    Case {
        name: "bracket and backtick identifiers",
        sql: "CREATE TABLE [we;ird] (`a;b` INT, [c]);\nSELECT `x``;`, [y;] FROM [we;ird];",
        expected: &[
            (1, "CREATE TABLE [we;ird] (`a;b` INT, [c])"),
            (2, "SELECT `x``;`, [y;] FROM [we;ird]"),
        ],
    },
    Case {
        name: "block comments do not nest",
        sql: "/* a /* b */ SELECT 1; -- c\nSELECT 2;",
        expected: &[(1, "SELECT 1"), (2, "SELECT 2")],
    },
    Case {
        name: "backslash is an ordinary character in strings",
        sql: "INSERT INTO t VALUES ('C:\\'); SELECT 2;",
        expected: &[(1, "INSERT INTO t VALUES ('C:\\')"), (1, "SELECT 2")],
    },
    Case {
        name: "CREATE TRIGGER not at the start of the statement",
        sql: "SELECT 'x' AS create_trigger; CREATE VIEW v AS SELECT 1; SELECT 2;",
        expected: &[
            (1, "SELECT 'x' AS create_trigger"),
            (1, "CREATE VIEW v AS SELECT 1"),
            (1, "SELECT 2"),
        ],
    },
];

const MYSQL: &[Case] = &[
    Case {
        name: "procedure without DELIMITER: nested blocks, IF, CASE, loops, handler",
        sql: r#"CREATE TABLE t (id INT, kind VARCHAR(10));
CREATE PROCEDURE fill(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE done INT DEFAULT 0;
  DECLARE CONTINUE HANDLER FOR SQLSTATE '02000' BEGIN SET done = 1; END;
  outer_loop: LOOP
    SET i = i + 1;
    IF i > n THEN LEAVE outer_loop; ELSEIF i = 3 THEN ITERATE outer_loop; END IF;
    CASE MOD(i, 2)
      WHEN 0 THEN INSERT INTO t VALUES (i, 'even;');
      ELSE BEGIN INSERT INTO t VALUES (i, CASE WHEN i > 5 THEN 'big' ELSE 'odd' END); END;
    END CASE;
  END LOOP outer_loop;
  WHILE i > 0 DO SET i = i - 1; END WHILE;
  REPEAT SET i = i + 1; UNTIL i >= 3 END REPEAT;
END;
CALL fill(10);"#,
        expected: &[
            (1, "CREATE TABLE t (id INT, kind VARCHAR(10))"),
            (
                2,
                "CREATE PROCEDURE fill(IN n INT)\nBEGIN\n  DECLARE i INT DEFAULT 0;\n  DECLARE done INT DEFAULT 0;\n  DECLARE CONTINUE HANDLER FOR SQLSTATE '02000' BEGIN SET done = 1; END;\n  outer_loop: LOOP\n    SET i = i + 1;\n    IF i > n THEN LEAVE outer_loop; ELSEIF i = 3 THEN ITERATE outer_loop; END IF;\n    CASE MOD(i, 2)\n      WHEN 0 THEN INSERT INTO t VALUES (i, 'even;');\n      ELSE BEGIN INSERT INTO t VALUES (i, CASE WHEN i > 5 THEN 'big' ELSE 'odd' END); END;\n    END CASE;\n  END LOOP outer_loop;\n  WHILE i > 0 DO SET i = i - 1; END WHILE;\n  REPEAT SET i = i + 1; UNTIL i >= 3 END REPEAT;\nEND",
            ),
            (18, "CALL fill(10)"),
        ],
    },
    Case {
        name: "trigger with a definer, without DELIMITER",
        sql: "CREATE DEFINER=`root`@`localhost` TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  IF NEW.kind IS NULL THEN SET NEW.kind = 'none'; END IF;\nEND;\nCREATE OR REPLACE DEFINER = 'app'@'%' TRIGGER t_bu BEFORE UPDATE ON t FOR EACH ROW BEGIN SET NEW.id = OLD.id; END;\nSELECT 1;",
        expected: &[
            (
                1,
                "CREATE DEFINER=`root`@`localhost` TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  IF NEW.kind IS NULL THEN SET NEW.kind = 'none'; END IF;\nEND",
            ),
            (
                5,
                "CREATE OR REPLACE DEFINER = 'app'@'%' TRIGGER t_bu BEFORE UPDATE ON t FOR EACH ROW BEGIN SET NEW.id = OLD.id; END",
            ),
            (6, "SELECT 1"),
        ],
    },
    Case {
        name: "single-statement trigger, function, event, ALTER EVENT, CURRENT_USER() definer",
        sql: r#"CREATE TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW SET @n = CASE WHEN @n IS NULL THEN 1 ELSE @n + 1 END;
CREATE DEFINER=CURRENT_USER() FUNCTION twice(x INT) RETURNS INT DETERMINISTIC
BEGIN
  DECLARE y INT;
  SET y = x * 2;
  RETURN y;
END;
CREATE EVENT purge ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM log WHERE ts < NOW() - INTERVAL 30 DAY; END;
ALTER EVENT purge DO BEGIN DELETE FROM log; END;
CREATE FUNCTION one() RETURNS INT RETURN 1;"#,
        expected: &[
            (
                1,
                "CREATE TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW SET @n = CASE WHEN @n IS NULL THEN 1 ELSE @n + 1 END",
            ),
            (
                2,
                "CREATE DEFINER=CURRENT_USER() FUNCTION twice(x INT) RETURNS INT DETERMINISTIC\nBEGIN\n  DECLARE y INT;\n  SET y = x * 2;\n  RETURN y;\nEND",
            ),
            (
                8,
                "CREATE EVENT purge ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM log WHERE ts < NOW() - INTERVAL 30 DAY; END",
            ),
            (9, "ALTER EVENT purge DO BEGIN DELETE FROM log; END"),
            (10, "CREATE FUNCTION one() RETURNS INT RETURN 1"),
        ],
    },
    Case {
        name: "DELIMITER // ... DELIMITER ;",
        sql: r#"DROP PROCEDURE IF EXISTS p;
DELIMITER //
CREATE PROCEDURE p()
BEGIN
  SELECT 1; SELECT 2;
END //
CREATE PROCEDURE q() BEGIN SELECT ';'; END//
DELIMITER ;
CALL p();
"#,
        expected: &[
            (1, "DROP PROCEDURE IF EXISTS p"),
            (3, "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1; SELECT 2;\nEND"),
            (7, "CREATE PROCEDURE q() BEGIN SELECT ';'; END"),
            (9, "CALL p()"),
        ],
    },
    Case {
        name: "DELIMITER $$ directly after END, lower case, with a comment",
        sql: "delimiter $$ -- for the body\nCREATE FUNCTION f() RETURNS INT BEGIN RETURN 1; END$$\nSELECT 'a$$b'$$\ndelimiter ;\nSELECT f();",
        expected: &[
            (2, "CREATE FUNCTION f() RETURNS INT BEGIN RETURN 1; END"),
            (3, "SELECT 'a$$b'"),
            (5, "SELECT f()"),
        ],
    },
    Case {
        name: "DELIMITER ends a statement left open, as the mysql client does",
        sql: "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END\nDELIMITER ;\nSELECT 2;",
        expected: &[
            (2, "CREATE PROCEDURE p() BEGIN SELECT 1; END"),
            (4, "SELECT 2"),
        ],
    },
    Case {
        name: "mysqldump: DELIMITER ;; and executable comments",
        sql: r#"/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!50003 SET sql_mode = '' */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW BEGIN
  SET NEW.kind = 'x';
END */;;
DELIMITER ;
/*M!100108 SET x = 1*/;"#,
        expected: &[
            (1, "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */"),
            (2, "/*!50003 SET sql_mode = '' */"),
            (
                4,
                "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW BEGIN\n  SET NEW.kind = 'x';\nEND */",
            ),
            (8, "/*M!100108 SET x = 1*/"),
        ],
    },
    Case {
        name: "executable-comment trigger without DELIMITER",
        sql: "/*!50003 CREATE*/ /*!50003 TRIGGER t BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END */;\nSELECT 1;",
        expected: &[
            (
                1,
                "/*!50003 CREATE*/ /*!50003 TRIGGER t BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END */",
            ),
            (2, "SELECT 1"),
        ],
    },
    Case {
        name: "# and -- comments; --1 is no comment",
        sql: "# a comment; still\nSELECT 1--1;\nSELECT 2 -- x;\n;\nSELECT 3 #; y\n;",
        expected: &[(2, "SELECT 1--1"), (3, "SELECT 2"), (5, "SELECT 3")],
    },
    Case {
        name: "backslash escapes and double-quoted strings",
        sql: "INSERT INTO t VALUES ('it\\'s; ok', \"say \\\"hi\\\"; bye\", 'C:\\\\', 'a''b;');\nSELECT `we;ird``col` FROM `t;`;",
        expected: &[
            (1, "INSERT INTO t VALUES ('it\\'s; ok', \"say \\\"hi\\\"; bye\", 'C:\\\\', 'a''b;')"),
            (2, "SELECT `we;ird``col` FROM `t;`"),
        ],
    },
    Case {
        name: "tables with columns named end, begin, event",
        sql: "CREATE TABLE periods (start DATE, end DATE, event INT, begin_at DATE);\nINSERT INTO periods (start, end) VALUES (NOW(), NOW());",
        expected: &[
            (1, "CREATE TABLE periods (start DATE, end DATE, event INT, begin_at DATE)"),
            (2, "INSERT INTO periods (start, end) VALUES (NOW(), NOW())"),
        ],
    },
    Case {
        name: "transactions; MariaDB BEGIN NOT ATOMIC",
        sql: "BEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;\nBEGIN NOT ATOMIC\n  DECLARE x INT DEFAULT 1;\n  IF x THEN SELECT 1; END IF;\nEND;\nSELECT 2;",
        expected: &[
            (1, "BEGIN"),
            (2, "INSERT INTO t VALUES (1)"),
            (3, "COMMIT"),
            (
                4,
                "BEGIN NOT ATOMIC\n  DECLARE x INT DEFAULT 1;\n  IF x THEN SELECT 1; END IF;\nEND",
            ),
            (8, "SELECT 2"),
        ],
    },
    Case {
        name: "a column named delimiter",
        sql: "SELECT a,\n  delimiter\nFROM t; SELECT delimiter FROM t;",
        expected: &[(1, "SELECT a,\n  delimiter\nFROM t"), (3, "SELECT delimiter FROM t")],
    },
];

#[test]
fn postgres_cases() {
    run_cases(Dialect::Postgres, POSTGRES);
}

#[test]
fn sqlite_cases() {
    run_cases(Dialect::Sqlite, SQLITE);
}

#[test]
fn mysql_cases() {
    run_cases(Dialect::Mysql, MYSQL);
}

/// Every case without a DELIMITER line reconstructs its input: the statements and, between
/// them, only whitespace, comments and semicolons.
#[test]
fn cases_reconstruct_their_input() {
    for (dialect, cases) in [
        (Dialect::Postgres, POSTGRES),
        (Dialect::Sqlite, SQLITE),
        (Dialect::Mysql, MYSQL),
    ] {
        for case in cases {
            if case.sql.to_ascii_lowercase().contains("delimiter ") {
                continue;
            }
            let statements = split_statements(case.sql, dialect).unwrap();
            assert_reconstructs(case.name, case.sql, &statements, dialect);
        }
    }
}

#[test]
fn the_same_text_splits_per_dialect() {
    // MySQL strings take backslash escapes, PostgreSQL's plain strings do not.
    let sql = "SELECT 'a\\'; SELECT 1 -- ';\n";
    assert_eq!(texts(sql, Dialect::Postgres), ["SELECT 'a\\'", "SELECT 1"]);
    assert_eq!(texts(sql, Dialect::Mysql), ["SELECT 'a\\'; SELECT 1 -- '"]);
    // A trigger body is one statement in SQLite; PostgreSQL has no such body.
    let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;";
    assert_eq!(texts(sql, Dialect::Sqlite).len(), 1);
    assert_eq!(texts(sql, Dialect::Postgres).len(), 2);
    // `#` starts a comment only in MySQL.
    assert_eq!(texts("SELECT 1 # 2;", Dialect::Mysql), ["SELECT 1"]);
    assert_eq!(texts("SELECT 1 # 2;", Dialect::Postgres), ["SELECT 1 # 2"]);
}

fn texts(sql: &str, dialect: Dialect) -> Vec<&str> {
    split_statements(sql, dialect)
        .unwrap()
        .iter()
        .map(|s| s.text)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Errors

fn unterminated(sql: &str, dialect: Dialect) -> (Construct, u32, u32) {
    match split_statements(sql, dialect) {
        Err(SplitError::Unterminated {
            construct,
            line,
            column,
        }) => (construct, line, column),
        other => panic!("expected an unterminated construct for {sql:?}, got {other:?}"),
    }
}

#[test]
fn unterminated_constructs_are_errors_with_line_and_column() {
    let string = |backslash_escapes| Construct::String {
        quote: '\'',
        backslash_escapes,
    };
    let cases: &[(&str, Dialect, Construct, u32, u32)] = &[
        (
            "SELECT 1;\nSELECT 'abc;\nSELECT 2;",
            Dialect::Postgres,
            string(false),
            2,
            8,
        ),
        ("SELECT E'it\\'s;", Dialect::Postgres, string(true), 1, 8),
        ("SELECT 'C:\\';", Dialect::Mysql, string(true), 1, 8),
        (
            "SELECT \"a;",
            Dialect::Mysql,
            Construct::String {
                quote: '"',
                backslash_escapes: true,
            },
            1,
            8,
        ),
        (
            "SELECT \"a;",
            Dialect::Postgres,
            Construct::QuotedIdentifier { quote: '"' },
            1,
            8,
        ),
        (
            "SELECT `a;",
            Dialect::Mysql,
            Construct::QuotedIdentifier { quote: '`' },
            1,
            8,
        ),
        (
            "SELECT [a;",
            Dialect::Sqlite,
            Construct::QuotedIdentifier { quote: '[' },
            1,
            8,
        ),
        (
            "DO $body$\nBEGIN\n  PERFORM 1;\nEND $$;",
            Dialect::Postgres,
            Construct::DollarQuote {
                tag: "$body$".to_string(),
            },
            1,
            4,
        ),
        (
            "SELECT 1;\n  /* a /* b */ SELECT 2;",
            Dialect::Postgres,
            Construct::BlockComment { nested: true },
            2,
            3,
        ),
        (
            "SELECT 1 /* x",
            Dialect::Sqlite,
            Construct::BlockComment { nested: false },
            1,
            10,
        ),
        (
            "/*!40101 SET x = 1; */ SELECT /*!50003 2;",
            Dialect::Mysql,
            Construct::ExecutableComment,
            1,
            31,
        ),
        // Columns count characters, not bytes.
        ("SELECT 'é', 'ü", Dialect::Sqlite, string(false), 1, 13),
    ];
    for (sql, dialect, construct, line, column) in cases {
        assert_eq!(
            unterminated(sql, *dialect),
            (construct.clone(), *line, *column),
            "{sql:?} in {dialect}"
        );
    }
}

#[test]
fn error_messages_say_what_to_add() {
    let err = split_statements("DO $body$ BEGIN END;", Dialect::Postgres).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unterminated dollar-quoted string `$body$` starting at line 1, column 4: nothing closes it before the end of the SQL; add the closing `$body$`"
    );
    assert_eq!(err.line(), 1);
    let err = split_statements("SELECT 'C:\\';", Dialect::Mysql).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unterminated string literal starting at line 1, column 8: nothing closes it before the end of the SQL; add the closing `'` (here a backslash escapes the next character: write `\\\\` for a backslash)"
    );
    let err = split_statements("/* a /* b */", Dialect::Postgres).unwrap_err();
    assert!(
        err.to_string().ends_with(
            "add the closing `*/` (PostgreSQL block comments nest: each `/*` inside it needs its own `*/`)"
        ),
        "{err}"
    );
}

#[test]
fn invalid_delimiter_commands() {
    let cases: &[(&str, u32, &str)] = &[
        (
            "SELECT 1;\nDELIMITER\nSELECT 2;",
            2,
            "DELIMITER needs the new delimiter",
        ),
        ("DELIMITER    \n", 1, "DELIMITER needs the new delimiter"),
        ("DELIMITER a\\b\n", 1, "contains a backslash"),
        (
            "\n\nDELIMITER // now\n",
            3,
            "unexpected `now` after `DELIMITER //`",
        ),
    ];
    for (sql, line, problem) in cases {
        match split_statements(sql, Dialect::Mysql) {
            Err(err @ SplitError::InvalidDelimiter { .. }) => {
                assert_eq!(err.line(), *line, "{sql:?}");
                assert!(err.to_string().contains(problem), "{sql:?}: {err}");
            }
            other => panic!("expected an invalid DELIMITER for {sql:?}, got {other:?}"),
        }
    }
    // Elsewhere DELIMITER is just a word, and the database reports it.
    assert_eq!(
        texts("DELIMITER //\nSELECT 1//", Dialect::Postgres),
        ["DELIMITER //\nSELECT 1//"]
    );
}

// ---------------------------------------------------------------------------------------------
// Dialect

#[test]
fn dialect_names() {
    for (name, dialect) in [
        ("sqlite", Dialect::Sqlite),
        ("postgres", Dialect::Postgres),
        ("postgresql", Dialect::Postgres),
        ("PostgreSQL", Dialect::Postgres),
        ("mysql", Dialect::Mysql),
        ("mariadb", Dialect::Mysql),
        ("MySQL", Dialect::Mysql),
    ] {
        assert_eq!(name.parse::<Dialect>(), Ok(dialect), "{name}");
    }
    assert_eq!(Dialect::Sqlite.name(), "sqlite");
    assert_eq!(Dialect::Postgres.name(), "postgresql");
    assert_eq!(Dialect::Mysql.name(), "mysql");
    assert_eq!(Dialect::Postgres.to_string(), "postgresql");
    for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
        assert_eq!(dialect.name().parse::<Dialect>(), Ok(dialect));
    }

    let err = "postgre".parse::<Dialect>().unwrap_err();
    assert_eq!(err.name, "postgre");
    assert_eq!(
        err.to_string(),
        "unknown SQL dialect `postgre`; did you mean `postgres`? The dialects are: sqlite, postgres (or postgresql), mysql (or mariadb)"
    );
    assert_eq!(
        "oracle".parse::<Dialect>().unwrap_err().to_string(),
        "unknown SQL dialect `oracle`; the dialects are: sqlite, postgres (or postgresql), mysql (or mariadb)"
    );
}

#[test]
fn quoting() {
    assert_eq!(Dialect::Sqlite.quote_identifier("users"), "\"users\"");
    assert_eq!(Dialect::Postgres.quote_identifier("a\"b"), "\"a\"\"b\"");
    assert_eq!(Dialect::Postgres.quote_identifier("a`b"), "\"a`b\"");
    assert_eq!(Dialect::Mysql.quote_identifier("a`b\"c"), "`a``b\"c`");
    assert_eq!(Dialect::Mysql.quote_identifier(""), "``");
    assert_eq!(Dialect::Sqlite.quote_string("it's"), "'it''s'");
    assert_eq!(Dialect::Postgres.quote_string("a\\b'"), "'a\\b'''");
    assert_eq!(Dialect::Mysql.quote_string("a\\b'"), "'a\\\\b'''");
    assert_eq!(Dialect::Mysql.quote_string("ü;"), "'ü;'");

    // What quote_string and quote_identifier produce splits back as one token.
    let nasty = "x'; DROP TABLE t; -- \\' \" ` ]";
    for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
        let sql = format!(
            "INSERT INTO {} VALUES ({});",
            dialect.quote_identifier(nasty),
            dialect.quote_string(nasty)
        );
        let statements = split_statements(&sql, dialect).unwrap();
        assert_eq!(statements.len(), 1, "{dialect}: {sql}");
        assert_eq!(statements[0].text, sql.trim_end_matches(';'));
    }
}

// ---------------------------------------------------------------------------------------------
// Real histories

/// Checks that `statements` are consecutive, non-overlapping pieces of `sql`, that only
/// whitespace, comments and semicolons stand between them (at least one semicolon between two
/// statements), that each line is right, and that no statement is empty or padded.
fn assert_reconstructs(name: &str, sql: &str, statements: &[Statement<'_>], dialect: Dialect) {
    let base = sql.as_ptr() as usize;
    let mut cursor = 0;
    for (i, statement) in statements.iter().enumerate() {
        let offset = statement.text.as_ptr() as usize - base;
        assert!(
            offset >= cursor && offset + statement.text.len() <= sql.len(),
            "{name}: statement {i} is not a later piece of the input"
        );
        assert_eq!(&sql[offset..offset + statement.text.len()], statement.text);
        assert!(!statement.text.is_empty(), "{name}: statement {i} is empty");
        assert_eq!(
            statement.text.trim(),
            statement.text,
            "{name}: statement {i} is not trimmed"
        );
        let gap = &sql[cursor..offset];
        let semicolons = gap_semicolons(gap, dialect)
            .unwrap_or_else(|| panic!("{name}: SQL left out before statement {i}: {gap:?}"));
        assert!(
            i == 0 || semicolons > 0,
            "{name}: statements {} and {i} are not separated by `;`",
            i - 1
        );
        let line = 1 + sql[..offset].matches('\n').count();
        assert_eq!(
            statement.line as usize, line,
            "{name}: line of statement {i}"
        );
        cursor = offset + statement.text.len();
    }
    let tail = &sql[cursor..];
    assert!(
        gap_semicolons(tail, dialect).is_some(),
        "{name}: SQL left out at the end: {tail:?}"
    );
}

/// The semicolons in a gap holding only whitespace, comments and semicolons; `None` when it
/// holds anything else.
fn gap_semicolons(gap: &str, dialect: Dialect) -> Option<usize> {
    let bytes = gap.trim_start_matches('\u{feff}').as_bytes();
    let mut i = 0;
    let mut semicolons = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest[0].is_ascii_whitespace() {
            i += 1;
        } else if rest[0] == b';' {
            semicolons += 1;
            i += 1;
        } else if rest.starts_with(b"--") || (dialect == Dialect::Mysql && rest[0] == b'#') {
            i += rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        } else if rest.starts_with(b"/*") && !rest.starts_with(b"/*!") {
            let mut depth = 0;
            let mut j = 0;
            loop {
                if j >= rest.len() {
                    return None;
                }
                if rest[j..].starts_with(b"/*") && (depth == 0 || dialect == Dialect::Postgres) {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            i += j;
        } else {
            return None;
        }
    }
    Some(semicolons)
}

/// Outside comments, every statement's `'` strings close (`E'...'` with backslash escapes,
/// dollar-quoted bodies left out) and every dollar quote closes.
fn assert_balanced(name: &str, text: &str) {
    let bytes = text.as_bytes();
    let mut quotes = 0;
    let mut i = 0;
    let mut in_string = false;
    let mut backslash = false;
    while i < bytes.len() {
        let Some(rest) = text.get(i..) else {
            i += 1; // inside a multi-byte character
            continue;
        };
        if in_string {
            if backslash && bytes[i] == b'\\' {
                i += 2;
                continue;
            }
            if bytes[i] == b'\'' {
                quotes += 1;
                in_string = false;
            }
            i += 1;
        } else if bytes[i] == b'\'' {
            quotes += 1;
            in_string = true;
            backslash = i >= 1
                && matches!(bytes[i - 1], b'E' | b'e')
                && (i == 1 || !(bytes[i - 2].is_ascii_alphanumeric() || bytes[i - 2] == b'_'));
            i += 1;
        } else if rest.starts_with("--") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |p| p + 2);
        } else if let Some(tag) = dollar_tag(rest)
            .filter(|_| i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'))
        {
            let body = &rest[tag.len()..];
            let close = body
                .find(tag)
                .unwrap_or_else(|| panic!("{name}: dollar quote {tag} not closed in {text:?}"));
            i += tag.len() + close + tag.len();
        } else {
            i += 1;
        }
    }
    assert!(quotes % 2 == 0, "{name}: unbalanced quotes in {text:?}");
}

fn dollar_tag(s: &str) -> Option<&str> {
    let rest = s.strip_prefix('$')?;
    let len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    if rest[..len].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    rest[len..].starts_with('$').then(|| &s[..len + 2])
}

fn sql_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for entry in entries {
        for file in ["up.sql", "down.sql"] {
            let path = entry.join(file);
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files
}

/// Every up.sql and down.sql of crates.io and lemmy (PostgreSQL): each statement is a piece of
/// the file, only comments and `;` stand between them, and no statement ends inside a
/// dollar-quoted body or a string.
#[test]
fn diesel_corpora_split_without_splitting_inside_constructs() {
    let Some(root) = corpus("diesel") else {
        return;
    };
    let mut files = 0;
    let mut statements_seen = 0;
    let mut with_dollar = 0;
    for history in ["crates.io", "lemmy"] {
        let dir = root.join(history).join("migrations");
        if !dir.is_dir() {
            continue;
        }
        for path in sql_files(&dir) {
            let sql = std::fs::read_to_string(&path).unwrap();
            let name = path.display().to_string();
            let statements =
                split_statements(&sql, Dialect::Postgres).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_reconstructs(&name, &sql, &statements, Dialect::Postgres);
            for statement in &statements {
                assert_balanced(&name, statement.text);
                if statement.text.contains("$$") {
                    with_dollar += 1;
                }
            }
            files += 1;
            statements_seen += statements.len();
        }
    }
    assert!(files > 600, "only {files} files read");
    assert!(statements_seen > files, "{statements_seen} statements");
    assert!(with_dollar > 20, "{with_dollar} dollar-quoted statements");
}

/// A few corpus files whose statements are known.
#[test]
fn diesel_corpus_known_files() {
    let Some(root) = corpus("diesel") else {
        return;
    };
    let migrations = root.join("crates.io/migrations");
    let read = |dir: &str| std::fs::read_to_string(migrations.join(dir).join("up.sql")).unwrap();

    // Three statements on one line, the first a plpgsql function.
    let sql = read("20161115111957_dumped_migration_119");
    let statements = split_statements(&sql, Dialect::Postgres).unwrap();
    assert_eq!(statements.len(), 3);
    assert!(statements[0]
        .text
        .starts_with("CREATE FUNCTION update_categories_crates_cnt()"));
    assert!(statements[0].text.ends_with("END $$ LANGUAGE plpgsql"));
    assert!(statements[2]
        .text
        .ends_with("EXECUTE PROCEDURE touch_crate()"));
    assert!(statements.iter().all(|s| s.line == 1));

    // Functions and triggers over many lines: each function is one statement.
    let sql = read("20151126095136_dumped_migration_103");
    let statements = split_statements(&sql, Dialect::Postgres).unwrap();
    let functions: Vec<_> = statements
        .iter()
        .filter(|s| s.text.starts_with("CREATE FUNCTION"))
        .collect();
    assert_eq!(functions.len(), sql.matches("CREATE FUNCTION").count());
    for function in functions {
        assert!(
            function.text.ends_with("$$ LANGUAGE plpgsql"),
            "{}",
            function.text
        );
        let line = sql
            .lines()
            .position(|l| l.contains(function.text.lines().next().unwrap()))
            .unwrap()
            + 1;
        assert_eq!(function.line as usize, line);
    }
}

/// The example project's revisions (SQLite) split and reconstruct.
#[test]
fn example_revisions_split() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/versions");
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "sql") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let (revision, sections) =
            parse_revision_file(&path.display().to_string(), &bytes).unwrap();
        for sql in std::iter::once(&sections.upgrade).chain(sections.downgrade.as_ref()) {
            let statements = split_statements(sql, Dialect::Sqlite).unwrap();
            assert!(!statements.is_empty() || sql.trim().is_empty());
            assert_reconstructs(&revision.id, sql, &statements, Dialect::Sqlite);
        }
        read += 1;
    }
    assert!(read > 0);
}
