struct Repo;

impl Repo {
    #[memotrace::cached]
    fn find(&self, id: u32) -> u32 { id }
}

fn main() {}
