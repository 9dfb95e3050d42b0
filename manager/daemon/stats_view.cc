#include "daemon/stats_view.h"

#include "util/drop_reasons.h"

namespace vnet::daemon {
namespace {

output::Value drops_value(const std::array<std::uint64_t, VNET_DROP_MAX>& drops) {
  output::Value m = output::Value::map();
  for (std::size_t i = 0; i < drops.size(); ++i) {
    if (drops[i] != 0 && i != VNET_DROP_NONE) {
      m.set(std::string(drop_reason_name(static_cast<std::uint32_t>(i))),
            output::Value::integer(static_cast<std::int64_t>(drops[i])));
    }
  }
  return m;
}

std::string drops_text(const output::Value* drops) {
  if (drops == nullptr || drops->fields().empty()) {
    return "-";
  }
  std::string s;
  for (const auto& [reason, count] : drops->fields()) {
    if (!s.empty()) {
      s += ',';
    }
    s += reason + "=" + std::to_string(count.as_int());
  }
  return s;
}

std::string scalar(const output::Value* v) {
  if (v == nullptr || v->kind() == output::Value::Kind::kNull) {
    return "-";
  }
  if (v->kind() == output::Value::Kind::kInt) {
    return std::to_string(v->as_int());
  }
  return v->as_string();
}

}  // namespace

output::Value stats_document(const std::string& host, std::uint64_t generation,
                             const std::array<std::uint64_t, VNET_DROP_MAX>& drops,
                             const ConntrackStatsRow& conntrack,
                             const std::vector<EndpointStatsRow>& endpoints) {
  using output::Value;
  Value doc = Value::map();
  doc.set("host", Value::string(host));
  doc.set("generation", Value::integer(static_cast<std::int64_t>(generation)));
  doc.set("drops", drops_value(drops));
  Value ct = Value::map();
  ct.set("capacity", Value::integer(conntrack.capacity));
  ct.set("created", Value::integer(static_cast<std::int64_t>(conntrack.created)));
  ct.set("live_at_last_sweep", conntrack.live ? Value::integer(static_cast<std::int64_t>(
                                                    *conntrack.live))
                                              : Value());
  ct.set("removed_by_sweeps", Value::integer(static_cast<std::int64_t>(conntrack.swept)));
  doc.set("conntrack", std::move(ct));
  Value list = Value::list();
  for (const auto& ep : endpoints) {
    Value row = Value::map();
    row.set("name", Value::string(ep.name));
    row.set("id", Value::integer(ep.id));
    row.set("interface", Value::string(ep.interface));
    row.set("tx_packets", Value::integer(static_cast<std::int64_t>(ep.counters.tx_packets)));
    row.set("tx_bytes", Value::integer(static_cast<std::int64_t>(ep.counters.tx_bytes)));
    row.set("rx_packets", Value::integer(static_cast<std::int64_t>(ep.counters.rx_packets)));
    row.set("rx_bytes", Value::integer(static_cast<std::int64_t>(ep.counters.rx_bytes)));
    row.set("drops", drops_value(ep.counters.drops));
    list.push(std::move(row));
  }
  doc.set("endpoints", std::move(list));
  return doc;
}

std::string render_stats(const output::Value& doc, output::Format format) {
  switch (format) {
    case output::Format::kJson: {
      std::string s = output::to_json(doc);
      if (s.empty() || s.back() != '\n') {
        s += '\n';
      }
      return s;
    }
    case output::Format::kYaml:
      return output::to_yaml(doc);
    case output::Format::kTable:
      break;
  }
  std::string out = "host: " + scalar(doc.get("host")) +
                    "   generation: " + scalar(doc.get("generation")) + "\n";
  out += "drops: " + drops_text(doc.get("drops")) + "\n";
  if (const output::Value* ct = doc.get("conntrack"); ct != nullptr) {
    out += "conntrack: " + scalar(ct->get("created")) + " flows created; at the last sweep " +
           scalar(ct->get("live_at_last_sweep")) + " live of " + scalar(ct->get("capacity")) +
           ", " + scalar(ct->get("removed_by_sweeps")) + " removed by sweeps\n";
  }
  const output::Value* endpoints = doc.get("endpoints");
  if (endpoints == nullptr || endpoints->items().empty()) {
    out += "\nno local endpoints\n";
    return out;
  }
  // The table printer shows a map cell as key=value pairs, which is what
  // the per-endpoint drops column wants.
  out += "\n";
  out += output::to_table(*endpoints,
                          output::TableSpec{{"name", "id", "interface", "tx_packets", "tx_bytes",
                                             "rx_packets", "rx_bytes", "drops"}});
  if (out.back() != '\n') {
    out += '\n';
  }
  return out;
}

}  // namespace vnet::daemon
