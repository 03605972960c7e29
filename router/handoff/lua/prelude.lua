-- Shared by every script (router/handoff/scripts.py puts it in front). ARGV[1] is a JSON map
-- from key names to either a whole key or a {prefix, suffix} pair (made in router/keys.py),
-- so every key name stays defined in one place. Keys are built here, so these scripts need a
-- single Redis (not Cluster).
local K = cjson.decode(ARGV[1])
local function key(name, id) return K[name][1] .. id .. K[name][2] end
local function announce(event, conversation_id)
  redis.call('PUBLISH', K.changed, cjson.encode({event = event, conversation_id = conversation_id}))
end
local function is_online(agent_id, now, timeout)
  -- A disabled account is never online, even if a heartbeat sent just before an admin
  -- disabled it lands afterwards.
  if redis.call('HGET', key('agent', agent_id), 'disabled') == '1' then return false end
  local seen = redis.call('ZSCORE', K.online, agent_id)
  return seen and tonumber(seen) >= now - timeout
end
local function has_room(agent_id)
  local capacity = tonumber(redis.call('HGET', key('agent', agent_id), 'capacity') or '0')
  return redis.call('SCARD', key('agent_conversations', agent_id)) < capacity
end
local function front_score(now)
  local first = redis.call('ZRANGE', K.queue, 0, 0, 'WITHSCORES')
  if first[2] then return math.min(tonumber(first[2]), now) - 1 end
  return now - 1
end
-- Back to the front of the line: nobody should wait twice because an agent vanished.
local function return_to_queue(conversation_id, now, team)
  redis.call('ZADD', K.queue, front_score(now), conversation_id)
  redis.call('SET', key('owner', conversation_id), 'queue')
  redis.call('HSET', key('state', conversation_id), 'agent_id', '', 'returned_at', now)
  if team then redis.call('HSET', key('state', conversation_id), 'team', team) end
end
local function owner_agent(conversation_id)
  local owner = redis.call('GET', key('owner', conversation_id))
  if owner and string.sub(owner, 1, 6) == 'agent:' then return string.sub(owner, 7) end
  return nil
end
-- A JSON object's fields as the flat name, value, name, value ... list HSET and XADD take.
local function flat(object)
  local fields = {}
  for name, value in pairs(object) do
    table.insert(fields, name); table.insert(fields, tostring(value))
  end
  return fields
end
-- Add a command for Rasa to the relay outbox (router/relay/outbox.py); `fields_json` is a
-- JSON object of strings, `conversation_id` is added.
local function to_outbox(fields_json, conversation_id)
  if fields_json == nil or fields_json == '' then return nil end
  local command = cjson.decode(fields_json)
  command.conversation_id = conversation_id
  return redis.call('XADD', K.outbox, '*', unpack(flat(command)))
end
