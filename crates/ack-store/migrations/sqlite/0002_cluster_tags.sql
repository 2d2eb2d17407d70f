-- Cluster tags ({key, value}, one value per key). DescribeFleetAddons filters on key and value,
-- hence the second index.
CREATE TABLE cluster_tags (
    cluster_id TEXT NOT NULL REFERENCES clusters (cluster_id) ON DELETE CASCADE,
    tag_key    TEXT NOT NULL,
    tag_value  TEXT NOT NULL,
    PRIMARY KEY (cluster_id, tag_key)
) WITHOUT ROWID;
CREATE INDEX cluster_tags_by_kv ON cluster_tags (tag_key, tag_value);
