-- Change some fields of an account; demoting or disabling the last enabled admin is refused,
-- and a new password or disabling ends every session of the account. ARGV: keys, agent_id,
-- fields JSON (`disabled` is '1' or '0'), end sessions ('1'/'0').
-- Returns 'ok', 'unknown' or 'last_admin'.
local agent_id, end_sessions = ARGV[2], ARGV[4] == '1'
local account = key('agent', agent_id)
if redis.call('HEXISTS', account, 'role') == 0 then return 'unknown' end
local fields = cjson.decode(ARGV[3])
-- An admin who can sign in: without one, nobody could manage the team.
local function enabled_admin(id)
  local role, disabled = unpack(redis.call('HMGET', key('agent', id), 'role', 'disabled'))
  return role == 'admin' and disabled ~= '1'
end
if (fields.role == 'agent' or fields.disabled == '1') and enabled_admin(agent_id) then
  local admins = 0
  for _, other in ipairs(redis.call('SMEMBERS', K.agent_ids)) do
    if enabled_admin(other) then admins = admins + 1 end
  end
  if admins <= 1 then return 'last_admin' end
end
local changes = flat(fields)
if #changes > 0 then redis.call('HSET', account, unpack(changes)) end
if end_sessions then
  for _, token_hash in ipairs(redis.call('SMEMBERS', key('agent_sessions', agent_id))) do
    redis.call('DEL', key('session', token_hash))
  end
  redis.call('DEL', key('agent_sessions', agent_id))
end
return 'ok'
