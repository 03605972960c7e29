-- A new account, all at once or not at all. ARGV: keys, agent_id, fields as a JSON object.
-- Returns 1, or 0 when the id is taken.
local agent_id = ARGV[2]
if redis.call('EXISTS', key('agent', agent_id)) == 1 then return 0 end
redis.call('HSET', key('agent', agent_id), unpack(flat(cjson.decode(ARGV[3]))))
redis.call('SADD', K.agent_ids, agent_id)
return 1
