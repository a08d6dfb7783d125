// Technology tables from YAML (scenarios/tech/*.yaml): every key checked, every error
// naming the file and the dotted key. The format, every default and its source are in
// docs/energy-area.md; the table itself is plain data (maths/energy/tech_table.h).
#pragma once
#include <string>

#include "epochcore/maths/energy/tech_table.h"

namespace epochcore::energy {

// Loads and validates a table; throws TechTableError "<path>: <key>: <problem>".
TechTable load_tech_table(const std::string& path);
// Same, from YAML text; `origin` names it in messages.
TechTable parse_tech_table(const std::string& yaml_text, const std::string& origin);

}  // namespace epochcore::energy
