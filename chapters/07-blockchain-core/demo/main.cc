// lab run 07 — a small chain: mine, store, prove, and watch the rules catch cheats.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>

#include "chain/blockchain.h"
#include "chain/merkle.h"
#include "chain/proof_of_work.h"

namespace {

using namespace uh::chain;
using Clock = std::chrono::steady_clock;

PrivateKey named_key(std::uint8_t n) {
  std::array<std::uint8_t, 32> secret{};
  secret[0] = 0x5e;
  secret[31] = n;
  return PrivateKey::from_secret(secret);
}

std::string short_hex(const Hash256& h) { return h.to_hex().substr(0, 16) + "…"; }

void show_rejection(Blockchain& chain, const Block& block, const char* what, std::uint64_t now) {
  auto error = chain.append(block, now);
  fmt::print("  {:<44} -> {}\n", what,
             error ? fmt::format("rejected: {}{}", to_string(error->code),
                                 error->detail.empty() ? "" : " (" + error->detail + ")")
                   : std::string("ACCEPTED (this is a bug)"));
}

Block reseal(Block block, const Consensus& consensus) {
  block.header.merkle_root = merkle_root(block.transaction_ids()).root;
  consensus.seal(block.header);
  return block;
}

}  // namespace

int main() {
  try {
    PrivateKey alice = named_key(1), bob = named_key(2), carol = named_key(3);
    PrivateKey miner = named_key(4), rival = named_key(5);
    auto a = alice.public_key().address(), b = bob.public_key().address();
    auto c = carol.public_key().address();

    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / fmt::format("uh-demo-07-{}", ::getpid());
    std::filesystem::create_directories(dir);
    std::string path = (dir / "ledger.db").string();

    ProofOfWork pow(16);
    std::uint64_t t0 = 1'700'000'000, now = t0 + 3600;
    Blockchain chain(pow, ChainParams{}, {{a, 1000}, {b, 500}}, t0,
                     std::make_unique<LedgerStore>(path));
    fmt::print("Genesis: alice ({}…) holds 1000, bob ({}…) holds 500.\n", a.to_hex().substr(0, 8),
               b.to_hex().substr(0, 8));
    fmt::print("Consensus: {}, so a block hash must start with 16 zero bits.\n\n", pow.name());

    Transaction pay_bob = Transaction::make_signed(alice, 1, 0, b, 250, 2);
    Transaction pay_carol = Transaction::make_signed(bob, 1, 0, c, 100, 1);
    auto start = Clock::now();
    Block block1 = chain.make_block({pay_bob, pay_carol}, miner.public_key().address(), t0 + 60);
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    fmt::print("Mined block 1 in {:.0f} ms: nonce {}, hash {}\n", ms, block1.header.nonce,
               block1.header.hash().to_hex());
    if (auto error = chain.append(block1, now)) {
      fmt::print(stderr, "block 1 rejected: {}\n", error->detail);
      return 1;
    }
    fmt::print("Stored in {} (height {}).\n", path, *chain.store()->tip_height());
    fmt::print("Balances: alice {}, bob {}, carol {}, miner {} (the fees).\n\n",
               chain.state().account(a).balance, chain.state().account(b).balance,
               chain.state().account(c).balance,
               chain.state().account(miner.public_key().address()).balance);

    // A light client holds only the header, and checks one transaction is in it.
    MerkleProof proof = merkle_proof(block1.transaction_ids(), 1);
    fmt::print(
        "Merkle proof that bob->carol is in block 1: {} sibling(s), verifies: {}\n\n",
        proof.siblings.size(),
        verify_merkle_proof(pay_carol.id(), proof, block1.header.merkle_root) ? "yes" : "no");

    fmt::print("Now some blocks that break the rules:\n");
    Block tampered = chain.make_block({Transaction::make_signed(alice, 1, 1, c, 10, 1)},
                                      miner.public_key().address(), t0 + 120);
    tampered.transactions[0].amount = 700;
    show_rejection(chain, tampered, "alice's 10 changed to 700 after mining", now);
    Block replay = chain.make_block({}, miner.public_key().address(), t0 + 120);
    replay.transactions.push_back(pay_bob);
    show_rejection(chain, reseal(replay, pow), "block 1's alice->bob sent again", now);
    Block twice = chain.make_block({Transaction::make_signed(alice, 1, 1, b, 600, 1)},
                                   miner.public_key().address(), t0 + 120);
    twice.transactions.push_back(Transaction::make_signed(alice, 1, 1, c, 600, 1));
    show_rejection(chain, reseal(twice, pow), "alice spends nonce 1 twice", now);
    Block greedy = chain.make_block({}, miner.public_key().address(), t0 + 120);
    greedy.transactions.push_back(Transaction::make_signed(carol, 1, 0, a, 1000, 1));
    show_rejection(chain, reseal(greedy, pow), "carol sends 1000 she does not have", now);
    Transaction forged = Transaction::make_signed(alice, 1, 1, c, 5, 1);
    forged.signature = carol.sign(forged.signing_hash());
    Block impostor = chain.make_block({}, miner.public_key().address(), t0 + 120);
    impostor.transactions.push_back(forged);
    show_rejection(chain, reseal(impostor, pow), "carol signs a transfer from alice", now);

    // Two honest miners, two valid blocks at the same height: which one wins?
    Block mine = chain.make_block({}, miner.public_key().address(), t0 + 180);
    Block theirs = chain.make_block({}, rival.public_key().address(), t0 + 181);
    fmt::print("\nTwo miners each found a valid block 2: {} and {}.\n",
               short_hex(mine.header.hash()), short_hex(theirs.header.hash()));
    fmt::print(
        "Both pass every rule. Nothing here says which one the network keeps: that is\n"
        "what consensus decides. Chapter 09 orders blocks with Raft instead.\n");
    std::filesystem::remove_all(dir);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "uh-demo-07: {}\n", e.what());
    return 1;
  }
}
