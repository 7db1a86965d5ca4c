// Feedback as the format asks: judgemessage.txt for the judge, teammessage.txt for the author.
#include <fstream>
#include <string>
static std::string feedback_dir;
static void judge_message(const std::string& text) { std::ofstream(feedback_dir + "judgemessage.txt") << text << "\n"; }
static void team_message(const std::string& text) { std::ofstream(feedback_dir + "teammessage.txt") << text << "\n"; }
