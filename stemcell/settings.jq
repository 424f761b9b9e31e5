# Builds the "settings" report of the BOSH test stemcell (jq 1.6).
#
# Input: none (-n).  Variables:
#   $ud, $md          raw text of ec2/latest/user-data and ec2/latest/meta-data.json
#   $have_ud, $have_md "true"/"false": whether those files exist on the config drive
#
# Checks the settings the way the BOSH agent's Go types would accept them
# (json.Unmarshal into settings.Settings): a value of the wrong JSON type
# fails the agent's whole parse, so every such value is listed in "errors"
# by its dotted path.  As in Go, null is accepted wherever a value may be
# absent.  On top of that the test stemcell insists on what a CPI must
# always write: a non-empty agent_id, vm.name, mbus, networks and disks.
#
# Output: {"event":"settings","valid":bool,"errors":[...],...summary...}

# --- type checks: each takes the value as input and returns a list of errors
def is_str: type == "string";

def opt_str($p): if . == null or is_str then [] else ["\($p) must be a string"] end;
def opt_bool($p): if . == null or type == "boolean" then [] else ["\($p) must be a boolean"] end;
def opt_obj($p): if . == null or type == "object" then [] else ["\($p) must be an object"] end;
def opt_uint($p):
  if . == null or (type == "number" and . >= 0 and . == floor) then []
  else ["\($p) must be a non-negative integer"] end;
def opt_int($p):
  if . == null or (type == "number" and . == floor) then [] else ["\($p) must be an integer"] end;
def opt_str_array($p):
  if . == null then []
  elif type == "array" then
    [to_entries[] | select(.value != null and (.value | is_str | not)) | "\($p)[\(.key)] must be a string"]
  else ["\($p) must be an array of strings"] end;
def req_str($p): if is_str then [] else ["\($p) must be a string"] end;

# A disk hint: a string, or an object whose values are strings
# (iscsi_settings is itself an object of strings), or null.
def hint($p):
  if . == null or is_str then []
  elif type == "object" then
    [to_entries[] | .key as $k | .value |
      if $k == "iscsi_settings" then
        (if . == null then []
         elif type == "object" then [to_entries[] | .key as $ik | .value | opt_str("\($p).iscsi_settings.\($ik)")[]]
         else ["\($p).iscsi_settings must be an object"] end)[]
      else opt_str("\($p).\($k)")[] end]
  else ["\($p) must be a string, an object with string values, or null"] end;

def route($p):
  if . == null then []
  elif type == "object" then
    (.destination | opt_str("\($p).destination")) + (.gateway | opt_str("\($p).gateway"))
    + (.netmask | opt_str("\($p).netmask"))
  else ["\($p) must be an object"] end;

def network($p):
  if type != "object" then ["\($p) must be an object"]
  else
    [ (.type | opt_str("\($p).type")),
      (.ip | opt_str("\($p).ip")),
      (.netmask | opt_str("\($p).netmask")),
      (.gateway | opt_str("\($p).gateway")),
      (.prefix | opt_str("\($p).prefix")),
      (.mac | opt_str("\($p).mac")),
      (.alias | opt_str("\($p).alias")),
      (.dns | opt_str_array("\($p).dns")),
      (.default | opt_str_array("\($p).default")),
      (.use_dhcp | opt_bool("\($p).use_dhcp")),
      (.resolved | opt_bool("\($p).resolved")),
      (.preconfigured | opt_bool("\($p).preconfigured")),
      (.routes | if . == null then []
                 elif type == "array" then [to_entries[] | .key as $i | .value | route("\($p).routes[\($i)]")[]]
                 else ["\($p).routes must be an array"] end)
    ] | add
  end;

def blobstore($p):
  if . == null then []
  elif type == "object" then (.provider | opt_str("\($p).provider")) + (.options | opt_obj("\($p).options"))
  else ["\($p) must be an object"] end;

def bosh_env($p):
  if . == null then []
  elif type != "object" then ["\($p) must be an object"]
  else
    [ (.password | opt_str("\($p).password")),
      (.keep_root_password | opt_bool("\($p).keep_root_password")),
      (.remove_dev_tools | opt_bool("\($p).remove_dev_tools")),
      (.remove_static_libraries | opt_bool("\($p).remove_static_libraries")),
      (.authorized_keys | opt_str_array("\($p).authorized_keys")),
      (.swap_size | opt_uint("\($p).swap_size")),
      (.parallel | opt_int("\($p).parallel")),
      (.ntp | opt_str_array("\($p).ntp")),
      (.mbus | if . == null then []
               elif type == "object" then
                 (.urls | opt_str_array("\($p).mbus.urls")) +
                 (.cert | if . == null then []
                          elif type == "object" then
                            (.ca | opt_str("\($p).mbus.cert.ca")) +
                            (.certificate | opt_str("\($p).mbus.cert.certificate")) +
                            (.private_key | opt_str("\($p).mbus.cert.private_key"))
                          else ["\($p).mbus.cert must be an object"] end)
               else ["\($p).mbus must be an object"] end),
      (.ipv6 | if . == null then [] elif type == "object" then (.enable | opt_bool("\($p).ipv6.enable"))
               else ["\($p).ipv6 must be an object"] end),
      (.job_dir | if . == null then []
                  elif type == "object" then (.tmpfs | opt_bool("\($p).job_dir.tmpfs")) + (.tmpfs_size | opt_str("\($p).job_dir.tmpfs_size"))
                  else ["\($p).job_dir must be an object"] end),
      (.run_dir | if . == null then []
                  elif type == "object" then (.tmpfs_size | opt_str("\($p).run_dir.tmpfs_size"))
                  else ["\($p).run_dir must be an object"] end),
      (.blobstores | if . == null then []
                     elif type == "array" then [to_entries[] | .key as $i | .value | blobstore("\($p).blobstores[\($i)]")[]]
                     else ["\($p).blobstores must be an array"] end)
    ] | add
  end;

def env_check:
  if . == null then []
  elif type != "object" then ["env must be an object"]
  else
    (.bosh | bosh_env("env.bosh")) +
    (.persistent_disk_fs | opt_str("env.persistent_disk_fs")) +
    (.persistent_disk_partitioner | opt_str("env.persistent_disk_partitioner")) +
    (.persistent_disk_mount_options | opt_str_array("env.persistent_disk_mount_options"))
  end;

def disks_check:
  if type != "object" then ["disks must be an object"]
  else
    (.system | opt_str("disks.system")) +
    (.ephemeral | hint("disks.ephemeral")) +
    (.persistent | if . == null then []
                   elif type == "object" then [to_entries[] | .key as $k | .value | hint("disks.persistent.\($k)")[]]
                   else ["disks.persistent must be an object"] end) +
    (.raw_ephemeral | if . == null or type == "array" then [] else ["disks.raw_ephemeral must be an array or null"] end)
  end;

def settings_errors:
  if type != "object" then ["ec2/latest/user-data must be a JSON object"]
  else
    (if (.agent_id | is_str) and .agent_id != "" then [] else ["agent_id must be a non-empty string"] end) +
    (.vm | if type == "object" then (.name | req_str("vm.name")) else ["vm must be an object"] end) +
    (.mbus | req_str("mbus")) +
    (.ntp | opt_str_array("ntp")) +
    (.blobstore | blobstore("blobstore")) +
    (.networks | if type == "object" then [to_entries[] | .key as $n | .value | network("networks.\($n)")[]]
                 else ["networks must be an object"] end) +
    (.disks | disks_check) +
    (.env | env_check)
  end;

# Parses $text; returns {ok:true,value:...} or {ok:false,error:"..."}.
# jq's message quotes the whole input; cut that off (user-data holds secrets).
def parse($text): try {ok: true, value: ($text | fromjson)} catch {ok: false, error: (tostring | split(" (while parsing")[0])};

(if $have_md == "true" then parse($md) else {ok: false, error: "missing"} end) as $meta
| (if $have_ud == "true" then parse($ud) else {ok: false, error: "missing"} end) as $user
| (if $have_md != "true" then ["ec2/latest/meta-data.json is missing"]
   elif ($meta.ok | not) then ["ec2/latest/meta-data.json is not valid JSON: \($meta.error)"]
   elif ($meta.value | type) != "object" then ["ec2/latest/meta-data.json must be a JSON object"]
   else [] end) as $meta_errors
| (if $have_ud != "true" then ["ec2/latest/user-data is missing"]
   elif ($user.ok | not) then ["ec2/latest/user-data is not valid JSON: \($user.error)"]
   else ($user.value | settings_errors) end) as $user_errors
| ($meta_errors + $user_errors) as $errors
| (if $user.ok and ($user.value | type) == "object" then $user.value else {} end) as $s
| (if $meta.ok and ($meta.value | type) == "object" then $meta.value else {} end) as $m
| {
    event: "settings",
    valid: ($errors | length == 0),
    errors: $errors,
    agent_id: $s.agent_id,
    vm_name: (if ($s.vm | type) == "object" then $s.vm.name else null end),
    mbus: $s.mbus,
    ntp: $s.ntp,
    instance_id: $m["instance-id"],
    ssh_key: (($m["public-keys"] | type) == "object" and ($m["public-keys"]["0"] | type) == "object"
              and ($m["public-keys"]["0"]["openssh-key"] | type) == "string"),
    networks: (if ($s.networks | type) == "object"
               then $s.networks | with_entries(.value |= (if type == "object" then del(.cloud_properties) else . end))
               else $s.networks end),
    disks: $s.disks,
    env_keys: (if ($s.env | type) == "object" then $s.env | keys else [] end),
    env_bosh_keys: (if ($s.env | type) == "object" and ($s.env.bosh | type) == "object" then $s.env.bosh | keys else [] end)
  }
