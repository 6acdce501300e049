// Authenticated sync (ours): a layer between the sync engine and its
// channels.  Outgoing, each packet is built exactly as without it and the
// channel calls seal() before writing, which appends the trailer of
// sync/auth_wire.h (key id, this daemon's random session id, a counter,
// an HMAC-SHA256 tag).  Incoming, on_channel_data() verifies and strips
// the trailer before the engine's parser sees a byte; a packet that fails
// is counted by reason (AuthCounters) and goes no further.
//
// Keys come from the AuthKeyFile (auth_keys.h): the first signs, all are
// accepted.  reload() (SIGHUP) rereads it; a bad file keeps the old keys.
// Replay protection is per sender session (sync/replay_window.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "conntrackd/sync/auth_counters.h"
#include "conntrackd/sync/auth_keys.h"
#include "conntrackd/sync/channel.h"
#include "crypto/hmac.h"
#include "sync/auth_wire.h"
#include "sync/replay_window.h"

namespace ctd {

class Daemon;

class SyncAuth final : public PacketSealer, public ChannelReceiver {
 public:
  // `inner` receives the verified packets; `stream`: a TCP channel.
  SyncAuth(Daemon& d, ChannelReceiver& inner, bool stream) : d_(d), inner_(inner), stream_(stream) {}

  // Loads the key file named by the config.  0 or -1 (logged).
  int open();
  // Rereads it; on failure the keys in use stay.  0 or -1 (logged).
  int reload();
  // Unit tests: keys given directly, no daemon log.
  int set_keys(const AuthKeySet& keys, crypto::HmacBackend backend = crypto::HmacBackend::kAuto);
  void set_session(uint64_t session) { session_ = session; }

  // PacketSealer
  size_t overhead() const override;
  size_t seal(uint8_t* buf, size_t len, size_t cap) override;
  void seal_pair(uint8_t* a, size_t* len_a, size_t cap_a, uint8_t* b, size_t* len_b, size_t cap_b) override;
  // ChannelReceiver
  size_t on_channel_data(unsigned channel, std::span<const uint8_t> data) override;
  void on_datagram_pair(unsigned channel, std::span<const uint8_t> a, std::span<const uint8_t> b) override;

  const AuthCounters& counters() const { return cnt_; }

 private:
  struct Bank {
    unsigned n = 0;
    uint8_t ids[AuthKeySet::kMax] = {};
    crypto::HmacSha256 mac[AuthKeySet::kMax];
  };
  // A received packet on its way through verify(): its trailer's fields,
  // the key its id names, the tag computed over it.
  struct Check {
    ctsync::AuthFields f;
    std::span<const uint8_t> body, covered;
    crypto::HmacSha256* mac = nullptr;
    uint8_t tag[ctsync::kAuthTagLen];
  };
  // True if the packet is authentic and new; counts why not.
  bool verify(std::span<const uint8_t> pkt, std::span<const uint8_t>* body);
  // verify() in three steps, so two packets' tags are computed together:
  // the trailer and key (false: counted), then the tag, then its
  // comparison and the replay window (false: counted).
  bool check_trailer(std::span<const uint8_t> pkt, Check* c);
  bool compute_tag(Check* c);
  bool check_tag_and_counter(const Check& c, bool computed);
  size_t on_stream(unsigned channel, std::span<const uint8_t> data);

  Daemon& d_;
  ChannelReceiver& inner_;
  bool stream_;
  Bank banks_[2];
  unsigned cur_ = 0;  // the bank in use; reload fills the other
  uint64_t session_ = 0, counter_ = 0;
  ctsync::AuthSessions sessions_;
  AuthCounters cnt_;
};

}  // namespace ctd
