-- Change some fields of an account; demoting the last admin is refused, and a new password
-- ends every session of the account. ARGV: keys, agent_id, fields JSON, password changed
-- ('1'/'0'). Returns 'ok', 'unknown' or 'last_admin'.
local agent_id, changed_password = ARGV[2], ARGV[4] == '1'
local account = key('agent', agent_id)
if redis.call('HEXISTS', account, 'role') == 0 then return 'unknown' end
local fields = cjson.decode(ARGV[3])
if fields.role == 'agent' and redis.call('HGET', account, 'role') == 'admin' then
  local admins = 0
  for _, other in ipairs(redis.call('SMEMBERS', K.agent_ids)) do
    if redis.call('HGET', key('agent', other), 'role') == 'admin' then admins = admins + 1 end
  end
  if admins <= 1 then return 'last_admin' end
end
local changes = flat(fields)
if #changes > 0 then redis.call('HSET', account, unpack(changes)) end
if changed_password then
  for _, token_hash in ipairs(redis.call('SMEMBERS', key('agent_sessions', agent_id))) do
    redis.call('DEL', key('session', token_hash))
  end
  redis.call('DEL', key('agent_sessions', agent_id))
end
return 'ok'
