-- One index on a conversation's messages is enough: (conversation_id, id), from 0008,
-- serves both "the messages of a conversation" (a handful, sorted by time in memory)
-- and "its messages after id N". Every index costs on each of the thousands of
-- messages stored per second.
DROP INDEX IF EXISTS messages_conversation;
