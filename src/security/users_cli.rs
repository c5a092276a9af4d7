//! `smsp-bridge user add|passwd|remove|list --users FILE …` (issue 5): maintains the Basic users
//! file. Passwords are read from a prompt, or from standard input when it is not a terminal —
//! never from the command line, where other local users could read them (`ps`, shell history).

use anyhow::{bail, Context};
use secrecy::{ExposeSecret, SecretString};
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::users::{check_user_name, hash_password, UserEntry, UsersFile};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Debug, clap::Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Add a user (password from a prompt, or one line of stdin).
    Add {
        /// The users file (created if missing).
        #[arg(long)]
        users: PathBuf,
        name: String,
        /// Comma-separated roles, e.g. read,search,verify.
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
    },
    /// Set a user's password (and, with --roles, replace their roles).
    Passwd {
        #[arg(long)]
        users: PathBuf,
        name: String,
        #[arg(long, value_delimiter = ',')]
        roles: Option<Vec<String>>,
    },
    /// Remove a user.
    Remove {
        #[arg(long)]
        users: PathBuf,
        name: String,
    },
    /// List users and their roles (never hashes).
    List {
        #[arg(long)]
        users: PathBuf,
    },
}

pub fn run(args: UserArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        UserCommand::Add { users, name, roles } => {
            let mut file = UsersFile::load_or_empty(&users)?;
            check_user_name(&name)?;
            check_roles(&roles)?;
            if file.users.contains_key(&name) {
                bail!("user '{name}' already exists (use `user passwd`)");
            }
            let hash = hash_password(&read_password(&name)?)?;
            file.users.insert(name.clone(), UserEntry { hash, roles });
            save(&file, &users)?;
            println!("user '{name}' added to {}", users.display());
        }
        UserCommand::Passwd { users, name, roles } => {
            let mut file = UsersFile::load(&users)?;
            if !file.users.contains_key(&name) {
                bail!("no user '{name}' in {}", users.display());
            }
            if let Some(r) = &roles {
                check_roles(r)?;
            }
            let hash = hash_password(&read_password(&name)?)?;
            let entry = file.users.get_mut(&name).expect("checked above");
            entry.hash = hash;
            if let Some(r) = roles {
                entry.roles = r;
            }
            save(&file, &users)?;
            println!("password of '{name}' changed");
        }
        UserCommand::Remove { users, name } => {
            let mut file = UsersFile::load(&users)?;
            if file.users.remove(&name).is_none() {
                bail!("no user '{name}' in {}", users.display());
            }
            save(&file, &users)?;
            println!("user '{name}' removed");
        }
        UserCommand::List { users } => {
            for (name, entry) in &UsersFile::load(&users)?.users {
                println!("{name}\t{}", entry.roles.join(","));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn save(file: &UsersFile, path: &Path) -> anyhow::Result<()> {
    file.save(path)
        .with_context(|| format!("cannot save {}", path.display()))
}

fn check_roles(roles: &[String]) -> anyhow::Result<()> {
    for r in roles {
        if r.is_empty()
            || !r
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        {
            bail!("role '{r}' must be letters, digits, - or _");
        }
    }
    Ok(())
}

/// A prompt (typed twice) on a terminal; otherwise the first line of stdin.
fn read_password(name: &str) -> anyhow::Result<SecretString> {
    let password = if std::io::stdin().is_terminal() {
        let first = SecretString::from(
            rpassword::prompt_password(format!("Password for {name}: "))
                .context("cannot read the password")?,
        );
        let again = SecretString::from(
            rpassword::prompt_password("Again: ").context("cannot read the password")?,
        );
        if first.expose_secret() != again.expose_secret() {
            bail!("the passwords do not match");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        let trimmed = line.trim_end_matches(['\n', '\r']).to_string();
        line.clear();
        SecretString::from(trimmed)
    };
    if password.expose_secret().chars().count() < MIN_PASSWORD_CHARS {
        bail!("the password must be at least {MIN_PASSWORD_CHARS} characters");
    }
    Ok(password)
}
