-- A line of a conversation for the agents' console, kept only while a person has (or is about
-- to have) the conversation. ARGV: keys, conversation_id, line fields as a JSON object.
-- Returns the stream id, or false when the bot has the conversation.
local conversation_id = ARGV[2]
if redis.call('EXISTS', key('owner', conversation_id)) == 0 then return false end
return redis.call('XADD', key('feed', conversation_id), 'MAXLEN', '~', 5000, '*',
                  unpack(flat(cjson.decode(ARGV[3]))))
