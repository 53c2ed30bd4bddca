-- revision: c3d7f1a09b5e
-- down_revision: 8e44b9f3c6a1
-- message: tags
-- create_date: 2026-06-20T08:15:00Z

-- upgrade
CREATE TABLE tags (
    note_id INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (note_id, tag)
);
-- Older documents get their first tag from the old convention of a leading '#word'.
INSERT INTO tags (note_id, tag)
    SELECT id, substr(body, 2, instr(body || ' ', ' ') - 2) FROM notes WHERE body LIKE '#%';

-- downgrade
DROP TABLE tags;
